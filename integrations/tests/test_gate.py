"""The CI gate in the upload's answer: reasons judged against the baseline, and the documented
curl + jq snippet run against a live server for each exit code."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from findings.models import Finding
from findings.services.tokens import api_token_create
from projects.models import Audit

pytestmark = pytest.mark.django_db
DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"


def bandit(*results: tuple[str, str, int, str, int | None]) -> bytes:
    """A Bandit report: (test_id, severity, line, text, cwe) per result."""
    rows = [
        {
            "filename": "./app.py",
            "line_number": line,
            "issue_severity": severity,
            "issue_confidence": "HIGH",
            "issue_text": text,
            "test_id": test_id,
            "test_name": test_id.lower(),
            "code": f"{line} code\n",
            "more_info": "",
            "issue_cwe": {"id": cwe} if cwe else {},
        }
        for test_id, severity, line, text, cwe in results
    ]
    doc = {"errors": [], "generated_at": "2026-01-01T00:00:00Z", "metrics": {}, "results": rows}
    return json.dumps(doc).encode()


SHELL = ("B602", "HIGH", 3, "subprocess call with shell=True", 78)
ASSERT = ("B101", "LOW", 5, "assert used", 703)
PICKLE = ("B301", "MEDIUM", 8, "pickle load", 502)
SQL = ("B608", "HIGH", 12, "SQL built from strings", 89)
PASSWORD = ("B105", "LOW", 20, "hard-coded password string", 259)


def cobertura(rate: str) -> bytes:
    return f'<?xml version="1.0" ?><coverage line-rate="{rate}" lines-valid="100"></coverage>'.encode()


@pytest.fixture
def raw_token(project):
    return api_token_create(project=project, name="CI")[1]


def upload(client, project, raw_token, content: bytes, name: str = "bandit.json") -> dict:
    response = client.post(
        f"/api/projects/{project.slug}/scans/",
        {"file": SimpleUploadedFile(name, content)},
        headers={"Authorization": f"Bearer {raw_token}"},
    )
    assert response.status_code == 201, response.content
    return response.json()


def codes(answer: dict) -> list[str]:
    return [reason["code"] for reason in answer["gate"]["reasons"]]


def test_a_first_import_without_baseline_is_judged_overall(client, project, raw_token):
    Finding.objects.create(
        project=project, title="Manual critical", fingerprint="m1", severity=4, tool="manual"
    )
    answer = upload(client, project, raw_token, bandit(ASSERT))
    gate = answer["gate"]
    assert gate["verdict"] == "fail" and gate["baseline"] == "overall"
    assert codes(answer) == ["open_critical_high"]
    reason = gate["reasons"][0]
    assert reason["message"].startswith("1 open critical or high finding(s) in the project")
    assert reason["url"].endswith(f"/admin/findings/importrun/{answer['id']}/change/")
    assert [f["title"] for f in reason["findings"]] == ["Manual critical"]
    assert reason["findings"][0]["url"].endswith(
        f"/admin/findings/finding/{reason['findings'][0]['id']}/change/"
    )


def test_a_first_import_with_a_completed_audit_is_judged_on_its_changes(client, project, raw_token):
    Audit.objects.create(project=project, title="Last audit", status=Audit.Status.COMPLETED)
    Finding.objects.create(project=project, title="Old high", fingerprint="m1", severity=3, tool="manual")
    answer = upload(client, project, raw_token, bandit(ASSERT, PICKLE))
    assert answer["gate"]["verdict"] == "pass" and answer["gate"]["baseline"].startswith("audit ")
    assert codes(answer) == []


def test_only_new_critical_or_high_findings_fail_a_later_import(client, project, raw_token):
    first = upload(client, project, raw_token, bandit(SHELL, ASSERT))
    assert codes(first) == ["open_critical_high"]  # first import: the open high counts
    again = upload(client, project, raw_token, bandit(SHELL, ASSERT))
    assert again["gate"] == {"verdict": "pass", "baseline": f"import {first['id']}", "reasons": []}
    worse = upload(client, project, raw_token, bandit(SHELL, ASSERT, SQL, PICKLE))
    assert codes(worse) == ["new_critical_high"]
    assert [f["title"] for f in worse["gate"]["reasons"][0]["findings"]] == [
        "B608 b608: SQL built from strings"
    ]


def test_a_reopened_high_finding_fails_the_gate(client, project, raw_token):
    upload(client, project, raw_token, bandit(SHELL))
    fixed = upload(client, project, raw_token, bandit(ASSERT))
    assert fixed["counts"]["resolved"] == 1 and codes(fixed) == []
    back = upload(client, project, raw_token, bandit(SHELL, ASSERT))
    assert codes(back) == ["reopened_critical_high"]
    assert back["gate"]["reasons"][0]["message"] == "1 reopened critical or high finding(s)"


def test_a_new_secret_fails_the_gate_whatever_its_severity(client, project, raw_token):
    upload(client, project, raw_token, bandit(ASSERT))
    answer = upload(client, project, raw_token, bandit(ASSERT, PASSWORD))
    assert codes(answer) == ["new_secrets"]


def test_a_coverage_drop_beyond_the_threshold_fails_the_gate(client, project, raw_token, settings):
    settings.CI_GATE_COVERAGE_DROP = 1.0
    assert codes(upload(client, project, raw_token, cobertura("0.80"), "coverage.xml")) == []
    small = upload(client, project, raw_token, cobertura("0.795"), "coverage.xml")
    assert small["gate"]["verdict"] == "pass"
    drop = upload(client, project, raw_token, cobertura("0.70"), "coverage.xml")
    assert codes(drop) == ["coverage_drop"]
    assert drop["gate"]["reasons"][0]["message"].startswith(
        "line coverage dropped 9.5 points, from 79.5% to 70.0%"
    )


def test_a_dry_run_has_no_gate(client, project, raw_token):
    response = client.post(
        f"/api/projects/{project.slug}/scans/",
        {"file": SimpleUploadedFile("bandit.json", bandit(SHELL)), "dry_run": "true"},
        headers={"Authorization": f"Bearer {raw_token}"},
    )
    assert response.status_code == 200 and response.json()["gate"] is None


def documented_snippet() -> str:
    section = DOC.read_text(encoding="utf-8").split("## The CI gate", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_documented_snippet_exits_0_1_or_2(live_server, tmp_path):
    from projects.models import Project

    project = Project.objects.create(name="Piped", slug="piped")
    raw = api_token_create(project=project, name="CI")[1]
    report = tmp_path / "bandit.json"
    snippet = documented_snippet()

    def run(token: str, content: bytes) -> subprocess.CompletedProcess:
        report.write_bytes(content)
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "AUDITOR_URL": live_server.url,
            "AUDITOR_TOKEN": token,
            "AUDITOR_PROJECT": project.slug,
            "REPORT": str(report),
        }
        return subprocess.run(["bash", "-c", snippet], env=env, capture_output=True, text=True, timeout=60)

    clean = run(raw, bandit(ASSERT))
    assert clean.returncode == 0, clean.stderr
    failing = run(raw, bandit(ASSERT, SQL))
    assert failing.returncode == 1, failing.stderr
    assert "gate: 1 new critical or high finding(s) http" in failing.stdout
    refused = run("aud_not-a-token", bandit(ASSERT))
    assert refused.returncode == 2
    assert "upload failed" in refused.stderr and "invalid or revoked token" in refused.stderr
