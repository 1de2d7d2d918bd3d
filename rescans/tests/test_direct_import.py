"""A re-scan hands the findings its analyzers built to the importer as they are: every field the
analyzer set is stored, whatever the committed file is called."""

from __future__ import annotations

import pytest

from findings.importers import ParsedScan
from findings.models import Finding
from findings.services.scans import scan_import_report
from rescans.scanners.base import scan_finding


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["app/views.py", "docs/100%.md", "x%2F..%2Fy.py", "file:notes.py", "dir with space/ü.py"],
)
def test_a_built_finding_is_stored_as_the_analyzer_built_it(project, path):
    built = scan_finding(
        tool="auditor-secrets",
        domain="security",
        rule_id="aws-access-key-id",
        title="AWS access key committed",
        severity="high",
        file_path=path,
        line=3,
        cwe="CWE-798",
        confidence="high",
        help_url="https://example.com/rule",
        stable_id="aws-access-key-id:abc123",
    )
    run = scan_import_report(
        project=project,
        report=ParsedScan(format="sarif", tool="auditor-secrets", findings=[built]),
        file_name="secrets",
        internal=True,
    )
    assert run.created_count == 1
    stored = Finding.objects.get(project=project)
    assert (stored.file_path, stored.line, stored.rule_id, stored.title) == (
        path,
        3,
        "aws-access-key-id",
        built.title,
    )
    assert (stored.severity, stored.domain.slug, stored.cwe, stored.confidence) == (
        built.severity,
        "security",
        "CWE-798",
        "high",
    )
    assert stored.fingerprint == built.fingerprint


@pytest.mark.django_db
def test_a_reserved_tool_name_is_refused_from_outside(project):
    from findings.importers.base import ScanFormatError

    built = scan_finding(tool="checks", domain="security", rule_id="r", title="t", severity="low")
    with pytest.raises(ScanFormatError):
        scan_import_report(
            project=project, report=ParsedScan(format="sarif", tool="checks", findings=[built]), file_name="x"
        )
    assert not Finding.objects.filter(project=project).exists()
