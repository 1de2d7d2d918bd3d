"""The SARIF a re-scan hands to the importer reads back as the findings the analyzers built."""

from __future__ import annotations

import json

import pytest

from findings.importers import ParsedScan, parse_scan
from rescans.sarif import to_sarif
from rescans.scanners.base import scan_finding


@pytest.mark.parametrize(
    "path",
    ["app/views.py", "docs/100%.md", "x%2F..%2Fy.py", "file:notes.py", "dir with space/ü.py", ""],
)
def test_a_committed_file_name_comes_back_as_it_is(path):
    built = scan_finding(
        tool="auditor-secrets",
        domain="security",
        rule_id="aws-access-key-id",
        title="AWS access key committed",
        severity="high",
        file_path=path,
        line=3 if path else None,
        cwe="CWE-798",
        confidence="high",
        help_url="https://example.com/rule",
        stable_id="aws-access-key-id:abc123",
    )
    written = to_sarif(ParsedScan(format="sarif", tool="auditor-secrets", findings=[built]))
    json.loads(written)  # a valid document
    [read] = parse_scan(written, format="sarif").findings
    assert read.file_path == (path or ".")
    assert (read.rule_id, read.title, read.severity, read.domain_slug, read.line) == (
        built.rule_id,
        built.title,
        built.severity,
        built.domain_slug,
        built.line,
    )
    assert (read.cwe, read.confidence, read.recommendation, read.tool_fingerprint) == (
        built.cwe,
        built.confidence,
        built.recommendation,
        built.tool_fingerprint,
    )
