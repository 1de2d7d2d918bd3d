"""The confidence an analyzer states reaches the stored finding, where formula 2.0 weighs it."""

import json

from findings.importers import ParsedScan
from findings.importers import sarif as sarif_importer
from rescans.sarif import to_sarif
from rescans.scanners.base import scan_finding


def test_a_rescan_finding_keeps_its_confidence_through_sarif():
    where = {"tool": "semgrep", "domain": "security", "file_path": "app.py", "line": 1}
    built = [
        scan_finding(
            rule_id="sql-injection",
            title="SQL from request data",
            severity="high",
            confidence="High",
            **where,
        ),
        scan_finding(rule_id="weak-hash", title="MD5", severity="medium", **where),
    ]
    assert [f.confidence for f in built] == ["high", ""]
    report = sarif_importer.parse(
        json.loads(to_sarif(ParsedScan(format="sarif", tool="semgrep", findings=built)))
    )
    assert [f.confidence for f in report.findings] == ["high", ""]


def test_a_sarif_rule_precision_is_read_as_confidence():
    doc = {
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "codeql",
                        "rules": [{"id": "js/sql", "properties": {"precision": "Very-High"}}],
                    }
                },
                "results": [
                    {
                        "ruleId": "js/sql",
                        "level": "error",
                        "message": {"text": "SQL built from user input"},
                        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/db.js"}}}],
                    }
                ],
            }
        ],
    }
    assert sarif_importer.parse(doc).findings[0].confidence == "very-high"
