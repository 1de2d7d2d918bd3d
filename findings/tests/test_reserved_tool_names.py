"""A report from outside cannot close findings auditor records itself: reserved tool names."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from findings.models import Finding, ImportRun
from findings.services.scans import scan_import
from findings.services.tokens import api_token_create

pytestmark = pytest.mark.django_db
JUNIT_ONE_PASS = b'<testsuite name="s" tests="1"><testcase classname="t" name="ok"/></testsuite>'


def sarif(*runs: tuple[str, list[dict] | None]) -> bytes:
    doc = {"version": "2.1.0", "runs": []}
    for name, results in runs:
        run: dict = {"tool": {"driver": {"name": name}}}
        if results is not None:
            run["results"] = results
        doc["runs"].append(run)
    return json.dumps(doc).encode()


def one_result(rule: str = "R1") -> list[dict]:
    return [
        {
            "ruleId": rule,
            "level": "warning",
            "message": {"text": "something"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app.py"}}}],
        }
    ]


@pytest.fixture
def own_findings(project):
    """Findings auditor recorded itself: entered by hand, from a report, from test results."""
    return [
        Finding.objects.create(project=project, title=f"{tool} finding", tool=tool, fingerprint=f"fp-{tool}")
        for tool in ("manual", "report", "junit", "coverage", "auditor-checks")
    ]


@pytest.fixture
def raw_token(project, tech_lead):
    return api_token_create(project=project, name="CI", created_by=tech_lead)[1]


def post(client, project, raw, content: bytes, name: str = "scan.sarif"):
    return client.post(
        f"/api/projects/{project.slug}/scans/",
        {"file": SimpleUploadedFile(name, content)},
        headers={"Authorization": f"Bearer {raw}"},
    )


def open_tools(project) -> set[str]:
    return set(Finding.objects.filter(project=project, status="open").values_list("tool", flat=True))


@pytest.mark.parametrize(
    "runs",
    [
        [("manual", [])],
        [("Manual ", [])],
        [("coverage", [])],
        [("report", [])],
        [("junit", [])],
        [("auditor-checks", [])],
        [("AUDITOR", one_result())],
        [("semgrep", []), ("reports", [])],  # one reserved run refuses the whole file
        [("checks", None)],  # a run that did not execute still names a reserved tool
    ],
)
def test_a_ci_token_upload_naming_a_reserved_tool_is_refused_and_nothing_changes(
    client, project, own_findings, raw_token, runs
):
    response = post(client, project, raw_token, sarif(*runs))

    assert response.status_code == 400
    error = response.json()["error"]
    assert "is reserved for findings auditor records itself" in error and "Nothing was imported" in error
    assert open_tools(project) == {"manual", "report", "junit", "coverage", "auditor-checks"}
    assert not ImportRun.objects.exists()


def test_a_ci_token_resolves_only_findings_of_the_tools_its_file_names(
    client, project, own_findings, raw_token
):
    Finding.objects.create(project=project, title="old semgrep", tool="semgrep", fingerprint="fp-semgrep")
    response = post(client, project, raw_token, sarif(("semgrep", [])))

    assert response.status_code == 201 and response.json()["counts"]["resolved"] == 1
    assert "semgrep" not in open_tools(project)
    assert open_tools(project) == {"manual", "report", "junit", "coverage", "auditor-checks"}


def test_native_test_results_from_ci_are_still_accepted(client, project, raw_token):
    # JUnit files are named "junit" by their importer, not by the file: CI may upload them.
    response = post(client, project, raw_token, JUNIT_ONE_PASS, name="junit.xml")
    assert response.status_code == 201 and response.json()["format"] == "junit"


def test_the_admin_upload_refuses_a_reserved_tool_name_with_a_form_error(
    client, auditor_user, project, own_findings
):
    client.force_login(auditor_user)
    response = client.post(
        "/admin/findings/importrun/upload/",
        {
            "project": project.pk,
            "format": "auto",
            "file": SimpleUploadedFile("x.sarif", sarif(("manual", []))),
        },
    )
    assert response.status_code == 200
    assert "is reserved for findings auditor records itself" in response.content.decode()
    assert "manual" in open_tools(project) and not ImportRun.objects.exists()


def test_import_scan_refuses_a_reserved_tool_name(project, own_findings, tmp_path):
    path = tmp_path / "x.sarif"
    path.write_bytes(sarif(("coverage", [])))
    with pytest.raises(CommandError, match="is reserved"):
        call_command("import_scan", "--project", project.slug, str(path), stdout=StringIO())
    assert "coverage" in open_tools(project) and not ImportRun.objects.exists()


def test_auditors_own_re_scanner_may_use_its_reserved_names(project):
    run = scan_import(
        project=project,
        content=sarif(("auditor-checks", one_result("no-readme"))),
        file_name="checks.sarif",
        internal=True,
    )
    assert run.created_count == 1
