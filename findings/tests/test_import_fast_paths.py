"""The import's fast paths give what the field-by-field code gives: Bandit results whose fields
are all well typed skip the per-field checks, and COPY rows with nothing to escape skip escaping."""

import datetime as dt

import pytest

from findings.importers import ScanFinding, ScanFormatError, bandit
from findings.models import ImportRun
from findings.services.scan_writes import COPY_COLUMNS, copy_chunks, copy_text

GOOD = {
    "code": "11 # context\n12 subprocess.call(cmd, shell=True)\n13 \n",
    "filename": "./pkg/app.py",
    "issue_confidence": "HIGH",
    "issue_cwe": {"id": 78, "link": "https://cwe.mitre.org/"},
    "issue_severity": "MEDIUM",
    "issue_text": "subprocess call with shell=True identified.",
    "line_number": 12,
    "more_info": "https://bandit.readthedocs.io/",
    "test_id": "B602",
    "test_name": "subprocess_popen_with_shell_equals_true",
}


def _outcome(parse, result):
    try:
        finding = parse(result, 4)
    except ScanFormatError as exc:
        return str(exc)
    return {name: getattr(finding, name) for name in finding.__slots__}


@pytest.mark.parametrize(
    "change",
    [
        {},
        {"line_number": None},
        {"line_number": 0},
        {"issue_cwe": {"id": 0}},
        {"issue_cwe": None},
        {"test_name": "", "more_info": "", "issue_text": ""},
        {"code": "9 other\n12\n12 kept line"},
        {"code": "1 a\n2 b"},
        # Each of these leaves the fast path; the first bad field is named either way.
        {"line_number": -1},
        {"line_number": 2**31},
        {"line_number": 7.0},
        {"line_number": True},
        {"issue_severity": "SEVERE"},
        {"issue_severity": 3},
        {"issue_cwe": {"id": -78}},
        {"issue_cwe": {"id": 2**40}},
        {"issue_cwe": {"id": "79"}},
        {"issue_cwe": {"id": True}},
        {"test_id": ""},
        {"filename": ""},
        {"filename": None},
        {"issue_text": ["a"]},
        {"more_info": 3},
        {"code": None},
        {"issue_confidence": {}},
        {"line_number": -1, "issue_text": ["a"]},
        {"issue_severity": "SEVERE", "issue_cwe": {"id": -1}},
    ],
)
def test_a_bandit_result_parses_as_the_field_by_field_check_parses_it(change):
    result = {**GOOD, **change}

    assert _outcome(bandit.parse_result, result) == _outcome(bandit._checked_result, result)


def test_a_bandit_result_that_is_not_an_object_is_refused_with_its_index():
    with pytest.raises(ScanFormatError, match=r"results\[4\]: expected an object"):
        bandit.parse_result(["B602"], 4)


def _rows(findings):
    run = ImportRun(project_id=7, audit_id=None)
    now = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    text = b"".join(copy_chunks(run, findings, {"security": 3}, now, {0: None, 3: 30})).decode()
    return [line.split("\t") for line in text.splitlines()]


def test_copy_rows_escape_only_what_needs_it_and_keep_every_column():
    plain = ScanFinding(
        tool="bandit", rule_id="B602", title="Plain title", severity=3, domain_slug="security"
    )
    odd = ScanFinding(
        tool="to\\ol",
        rule_id="r\tule",
        title="line\nbreak\r",
        severity=0,
        domain_slug="unknown",
        description="a\\b",
        recommendation="see\tthis",
        file_path="dir\\file.py",
        fingerprint="f" * 64,
    )
    rows = _rows([plain, odd])

    assert all(len(row) == len(COPY_COLUMNS) for row in rows)
    first, second = (dict(zip(COPY_COLUMNS, row, strict=True)) for row in rows)
    assert first["title"] == "Plain title"
    assert first["domain_id"] == "3"
    assert first["sla_due_at"] == "2026-02-01T03:04:05+00:00"
    assert second["title"] == copy_text("line\nbreak\r") == "line\\nbreak\\r"
    assert second["tool"] == "to\\\\ol"
    assert second["rule_id"] == "r\\tule"
    assert second["description"] == "a\\\\b"
    assert second["recommendation"] == "see\\tthis"
    assert second["file_path"] == "dir\\\\file.py"
    assert second["domain_id"] == "\\N"
    assert second["line"] == "\\N"
    assert second["sla_due_at"] == "\\N"
