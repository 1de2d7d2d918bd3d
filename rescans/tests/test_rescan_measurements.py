"""A whole re-scan of a repository in several languages records what each analyzer covered."""

from __future__ import annotations

from pathlib import Path

import pytest

from findings.models import Finding
from projects.models import Audit
from rescans import services as service
from rescans.tests.analyzer_repos import GO_VULNERABLE, PYTHON_VULNERABLE
from rescans.tests.scanrepo import make_repo
from scoring.models import AuditAnalyzerRun, AuditProfile

OSV_DATA = Path(__file__).resolve().parent / "osv_data"


@pytest.fixture
def polyglot_project(project, tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    files = {
        **PYTHON_VULNERABLE,
        **{f"svc/{name}": text for name, text in GO_VULNERABLE.items()},
        "android/App.kt": 'fun main() {\n    println("hi")\n}\n',
        "README.md": "# Demo\n",
        ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pytest\n",
    }
    repo = make_repo(tmp_path / "repo", files)
    project.repository_url = str(repo)
    project.branch = "main"
    project.save()
    return project


def rescan(project) -> Audit:
    audit = service.project_rescan_request(project_id=project.pk, enqueue=False)
    return service.audit_rescan_run(audit_id=audit.pk)


def test_the_rescan_records_the_profile_and_what_each_analyzer_read(polyglot_project, settings):
    settings.OSV_DATA_DIR = str(OSV_DATA)
    audit = rescan(polyglot_project)

    assert audit.status == Audit.Status.COMPLETED
    profile = AuditProfile.objects.get(audit=audit)
    languages = {lang["language"]: lang for lang in profile.languages}
    assert set(languages) == {"Python", "Go", "Kotlin"}
    assert languages["Python"]["test"] > 0
    assert profile.practices["ci_runs_tests"] is True

    runs = {r.name: r for r in AuditAnalyzerRun.objects.filter(audit=audit)}
    assert runs["bandit"].status == "ok" and runs["bandit"].languages == ["Python"]
    assert runs["lizard"].status == "ok"
    assert set(runs["lizard"].languages) == {"Python", "Go", "Kotlin"}
    assert runs["lizard"].covered_lines == profile.production_lines
    assert runs["semgrep"].status == "ok"
    assert "Python" in runs["semgrep"].languages and "Kotlin" not in runs["semgrep"].languages
    assert runs["osv"].status == "ok" and set(runs["osv"].languages) == {"Python", "Go"}
    assert runs["secrets"].status == "ok" and runs["secrets"].languages == []

    # Each analyzer's findings are imported under its own tool name, paths kept.
    tools = set(Finding.objects.filter(project=polyglot_project).values_list("tool", flat=True))
    assert {"semgrep", "bandit", "osv"} <= tools
    osv = Finding.objects.filter(project=polyglot_project, tool="osv")
    assert {f.file_path for f in osv} == {"requirements.txt", "svc/go.mod"}
    part = audit.rescan_run.parts["semgrep"]
    assert part["coverage"] == "ok" and "Python" in part["languages"]


def test_without_vulnerability_data_dependencies_are_not_measured(polyglot_project, settings, monkeypatch):
    settings.OSV_DATA_DIR = ""
    monkeypatch.delenv("OSV_DATA_DIR", raising=False)
    audit = rescan(polyglot_project)

    run = AuditAnalyzerRun.objects.get(audit=audit, name="osv")
    assert run.status == "failed"
    assert run.covered_lines == 0
    assert "OSV_DATA_DIR" in run.error
    assert "osv" in audit.rescan_run.missing


def test_the_inventory_details_are_kept_with_the_audit(polyglot_project):
    audit = rescan(polyglot_project)
    details = audit.extra_metrics["repository"]
    assert details["ci_files_running_tests"] == [".github/workflows/ci.yml"]
    assert details["test_files_by_language"] == {"Python": 1}
    assert details["readme"] == "README.md"
