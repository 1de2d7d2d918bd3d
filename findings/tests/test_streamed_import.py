"""Streamed import of large scanner files (findings.services.scan_stream): the same findings,
fingerprints, counts and error messages as a whole-file import, on PostgreSQL."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from findings import hooks
from findings.importers import ScanFormatError
from findings.models import Finding, ImportRun
from findings.services.scan_stream import scan_import_file
from findings.services.scans import scan_import
from findings.tests.helpers import FIXTURES, fixture, ruff_sarif
from projects.models import Project

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="streaming is for PostgreSQL"),
]
COMPARED = (
    "fingerprint",
    "title",
    "description",
    "severity",
    "status",
    "tool",
    "rule_id",
    "file_path",
    "line",
    "domain_id",
    "cwe",
    "confidence",
    "recommendation",
    "first_seen_audit_id",
)
COUNTS = ("created_count", "still_open_count", "reopened_count", "resolved_count", "unchanged_closed_count")


@pytest.fixture
def stream_everything(settings):
    settings.IMPORT_STREAM_BYTES = 0  # every file streamed, however small


@pytest.fixture
def twin(tech_lead):
    return Project.objects.create(name="Twin", slug="twin", tech_lead=tech_lead)


def _rows(project: Project) -> list[tuple]:
    return sorted(Finding.objects.filter(project=project).values_list(*COMPARED))


def _counts(run: ImportRun) -> tuple:
    return tuple(getattr(run, name) for name in COUNTS)


def _both(project, twin, content: bytes, tmp_path: Path, name: str):
    whole = scan_import(project=project, content=content, file_name=name)
    path = tmp_path / name
    path.write_bytes(content)
    streamed = scan_import_file(project=twin, path=path)
    return whole, streamed


def _bandit(results: list[dict]) -> bytes:
    return json.dumps(
        {
            "errors": [],
            "generated_at": "2026-01-01T00:00:00Z",
            "metrics": {"_totals": {"loc": 7}},
            "results": results,
        }
    ).encode()


def _result(path: str, line: int, code: str, test_id: str = "B602", severity: str = "HIGH") -> dict:
    return {
        "code": f"{line} {code}\n",
        "filename": path,
        "issue_confidence": "HIGH",
        "issue_severity": severity,
        "issue_text": "Shell injection\twith a tab",
        "line_number": line,
        "test_id": test_id,
        "test_name": "subprocess_popen_with_shell_equals_true",
    }


TRICKY_BANDIT = _bandit(
    [
        # Absolute paths: their common folder is removed; identical lines get ranks by line.
        _result("/home/ci/checkout/app/views.py", 30, "subprocess.call(cmd, shell=True)"),
        _result("/home/ci/checkout/app/views.py", 10, "subprocess.call(cmd,   shell=True)"),
        _result("/home/ci/checkout/lib/x.py", 5, "os.system(x)  # naïve \\ path"),
        # A relative path equal to a stripped absolute one lands in the same group.
        _result("app/views.py", 20, "subprocess.call(cmd, shell=True)"),
        _result("./app/../app/other.py", 1, "eval(data)", "B307", "MEDIUM"),
        _result("C:\\work\\win.py", 2, "pickle.loads(b)\u2003", "B301", "LOW"),
    ]
)


def _sarif_results_before_tool() -> bytes:
    """Two runs; the first writes its results before its tool (as some tools do), with tool
    fingerprints, a suppression, an artifact index and a logical location."""
    doc = ruff_sarif()
    ruff_run = doc["runs"][0]
    other = {
        "results": [
            {
                "ruleId": "X1",
                "message": {"text": "first\nsecond line"},
                "partialFingerprints": {"b": "2", "a": "1"},
                "locations": [
                    {"physicalLocation": {"artifactLocation": {"index": 0}, "region": {"startLine": 3}}}
                ],
            },
            {
                "ruleId": "X1",
                "message": {"text": "suppressed one"},
                "suppressions": [{"kind": "inSource"}],
                "locations": [{"logicalLocations": [{"fullyQualifiedName": "pkg.Module"}]}],
            },
            {"ruleId": "X2", "kind": "pass", "message": {"text": "passing"}},
        ],
        "artifacts": [{"location": {"uri": "src/%C3%A9t%C3%A9.py"}}],
        "tool": {
            "driver": {"name": "OtherScanner", "rules": [{"id": "X1", "properties": {"tags": ["security"]}}]}
        },
    }
    doc["runs"] = [other, ruff_run, {"tool": {"driver": {"name": "Idle"}}}]
    return json.dumps(doc, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    "name, content",
    [
        ("bandit_v1.json", fixture("bandit_v1.json")),
        ("ruff_v1.sarif", fixture("ruff_v1.sarif")),
        ("tricky.json", TRICKY_BANDIT),
        (
            "escapes.json",
            TRICKY_BANDIT.replace(b"eval(data)", b"eval(\\u0001data)").replace(b"Shell", b"\\u0000Shell"),
        ),
        ("bom.json", b"\xef\xbb\xbf" + TRICKY_BANDIT),
        ("two-runs.sarif", _sarif_results_before_tool()),
    ],
)
def test_a_streamed_import_stores_what_a_whole_file_import_stores(
    stream_everything, project, twin, tmp_path, name, content
):
    whole, streamed = _both(project, twin, content, tmp_path, name)
    assert streamed.status == ImportRun.Status.SUCCEEDED
    assert _counts(streamed) == _counts(whole) and whole.created_count > 0
    assert (streamed.format, streamed.tool, streamed.metrics, streamed.sha256) == (
        whole.format,
        whole.tool,
        whole.metrics,
        whole.sha256,
    )
    assert _rows(twin) == _rows(project)
    # Importing the same file again changes nothing, through either way in.
    again = scan_import_file(project=twin, path=tmp_path / name)
    assert (again.created_count, again.resolved_count, again.reopened_count) == (0, 0, 0)
    assert _rows(twin) == _rows(project)


def test_re_imports_reopen_and_resolve_alike(stream_everything, project, twin, tmp_path):
    for name in ("bandit_v1.json", "bandit_v2.json"):
        whole, streamed = _both(project, twin, fixture(name), tmp_path, name)
        assert _counts(streamed) == _counts(whole)
    assert whole.resolved_count == 1 and whole.created_count == 1
    whole, streamed = _both(project, twin, fixture("bandit_v1.json"), tmp_path, "bandit_v1.json")
    assert whole.reopened_count == 1 and _counts(streamed) == _counts(whole)
    assert _rows(twin) == _rows(project)
    assert streamed.preview["reopened"] == whole.preview["reopened"]


def test_a_dry_run_streams_counts_and_writes_nothing(stream_everything, project, tmp_path):
    path = tmp_path / "b.json"
    path.write_bytes(fixture("bandit_v1.json"))
    run = scan_import_file(project=project, path=path, dry_run=True)
    assert run.status == ImportRun.Status.DRY_RUN and run.created_count == 10
    assert len(run.preview["created"]) == 10
    assert not Finding.objects.exists() and not ImportRun.objects.exists()


def _late_bad_result() -> bytes:
    doc = json.loads(TRICKY_BANDIT)
    doc["results"] = [dict(result) for result in doc["results"] * 1000]
    doc["results"][-1]["issue_severity"] = "SEVERE"
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "content, message",
    [
        (_late_bad_result(), "results[5999]: unknown issue_severity 'SEVERE'"),
        (TRICKY_BANDIT[:-40], "invalid JSON"),
        (TRICKY_BANDIT.replace(b'"line_number": 30', b'"line_number": NaN'), "NaN is not a number"),
        (TRICKY_BANDIT.replace(b'"line_number": 30', b'"line_number": 1e400'), "out of range"),
        (TRICKY_BANDIT.replace(b"Shell", b"\\ud800Shell"), ""),  # a lone surrogate: read whole, accepted
        (json.dumps({"version": "2.1.0", "runs": []}).encode(), "the SARIF log has no runs"),
        (
            json.dumps(
                {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "auditor-x"}}, "results": []}]}
            ).encode(),
            "reserved",
        ),
        (b"[1, 2]", "neither a Bandit report"),
    ],
)
def test_bad_input_is_refused_whole_with_the_whole_file_message(
    stream_everything, project, twin, tmp_path, content, message
):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    try:
        scan_import(project=project, content=content, file_name="bad.json")
    except ScanFormatError as exc:
        expected = str(exc)
    else:
        expected = None
    Finding.objects.all().delete()
    ImportRun.objects.all().delete()
    if expected is None:
        assert scan_import_file(project=twin, path=path).status == ImportRun.Status.SUCCEEDED
        return
    assert message in expected
    with pytest.raises(ScanFormatError) as error:
        scan_import_file(project=twin, path=path)
    assert str(error.value) == expected
    assert not Finding.objects.exists() and not ImportRun.objects.exists()


def test_the_command_streams_large_files(settings, project, tmp_path):
    settings.IMPORT_STREAM_BYTES = 1000
    path = tmp_path / "big.json"
    path.write_bytes(_late_bad_result().replace(b"SEVERE", b"LOW"))
    out = StringIO()
    call_command("import_scan", "--project", project.slug, str(path), stdout=out)
    assert "created: 6000" in out.getvalue()
    run = ImportRun.objects.get()
    assert run.total == 6000 and run.status == ImportRun.Status.SUCCEEDED
    bad = tmp_path / "bad.json"
    bad.write_bytes(_late_bad_result())
    with pytest.raises(CommandError, match=r"bad.json: results\[5999\]: unknown issue_severity") as error:
        call_command("import_scan", "--project", project.slug, str(bad), stdout=out)
    assert error.value.returncode == 2
    assert ImportRun.objects.count() == 1 and Finding.objects.count() == 6000


def test_small_files_are_read_whole(settings, project):
    settings.IMPORT_STREAM_BYTES = 10**9
    run = scan_import_file(project=project, path=FIXTURES / "bandit_v1.json")
    assert run.created_count == 10 and run.total is None


def test_suppressed_results_are_claimed_alike(stream_everything, project, twin, tmp_path, monkeypatch):
    """A file's suppressions reach the after-import hooks (governance turns them into exception
    requests) the same way whether the file was read whole or streamed."""
    seen = {}

    def record(project_id, *, claims, user_id):
        seen[project_id] = sorted((c.fingerprint, c.status, c.origin) for c in claims)

    monkeypatch.setattr(hooks, "_after_import_hooks", [record])
    _both(project, twin, _sarif_results_before_tool(), tmp_path, "two-runs.sarif")
    assert len(seen[project.pk]) == 1
    assert seen[twin.pk] == seen[project.pk]
