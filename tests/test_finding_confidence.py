"""The confidence an analyzer states reaches the stored finding, where formula 2.0 weighs it."""

import json

from findings.importers import sarif as sarif_importer
from rescans.sarif import to_sarif
from rescans.scanners.base import NormalisedFinding, ScannerOutput


def test_a_rescan_finding_keeps_its_confidence_through_sarif(tmp_path):
    (tmp_path / "app.py").write_text("query = 'SELECT ' + name\n")
    output = ScannerOutput(
        scanner="semgrep",
        tool="semgrep",
        findings=[
            NormalisedFinding(
                "sql-injection", "SQL from request data", "high", "app.py", 1, confidence="high"
            ),
            NormalisedFinding("weak-hash", "MD5", "medium", "app.py", 1),
        ],
    )
    report = sarif_importer.parse(json.loads(to_sarif(output, workspace=tmp_path, default_domain="security")))
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
