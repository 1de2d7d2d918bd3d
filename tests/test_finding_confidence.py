"""The confidence an analyzer states reaches the stored finding, where formula 2.0 weighs it."""

import pytest

from findings.importers import ParsedScan
from findings.importers import sarif as sarif_importer
from findings.models import Finding
from findings.services.scans import scan_import_report
from rescans.scanners.base import scan_finding


@pytest.mark.django_db
def test_a_rescan_finding_keeps_its_confidence_when_imported(project):
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
    scan_import_report(
        project=project,
        report=ParsedScan(format="sarif", tool="semgrep", findings=built),
        file_name="semgrep",
        internal=True,
    )
    stored = dict(Finding.objects.filter(project=project).values_list("rule_id", "confidence"))
    assert stored == {"sql-injection": "high", "weak-hash": ""}


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
