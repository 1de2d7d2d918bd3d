"""Incremental re-scans on a real git history with the real analyzers: after each commit, the
findings of an incremental re-scan equal those of a full re-scan of the same commit."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from findings.models import Finding
from projects.models import Audit, DomainScore, Project
from rescans import services as service
from rescans.models import IncrementalState, RescanRun
from rescans.tests.analyzer_repos import JAVASCRIPT_VULNERABLE, PYTHON_VULNERABLE
from rescans.tests.scanrepo import FAKE_AWS_KEY, git, make_repo

pytestmark = pytest.mark.django_db


def branches(name: str, count: int) -> str:
    """A function of cyclomatic complexity count + 1 (lizard reports it over 15)."""
    body = "".join(
        f"    {'if' if i == 0 else 'elif'} x == {i}:\n        return {i * 3}\n" for i in range(count)
    )
    return f"def {name}(x):\n{body}    return -1\n"


UTIL = """import os
import random
import subprocess


def pick(items):
    return random.choice(items)


def run(cmd):
    return subprocess.call(cmd, shell=True)  # nosec


def unused(a):
    b = 1
    return a
"""
SETTINGS = f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\nDEBUG = False\n'
EXTRA = """import pickle
import subprocess


def load(data):
    return pickle.loads(data)


def shell(cmd):
    return subprocess.Popen(cmd, shell=True)
"""


def step(repo: Path, *, write=None, delete=(), rename=None, message="change") -> str:
    for old, new in (rename or {}).items():
        (repo / new).parent.mkdir(parents=True, exist_ok=True)
        git(repo, "mv", old, new)
    for name in delete:
        git(repo, "rm", "-q", name)
    for name, text in (write or {}).items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def history(repo: Path):
    """Each commit of the history: add, modify, rename (with and without a change), delete."""
    vulnerable_views = PYTHON_VULNERABLE["app/views.py"]
    server = JAVASCRIPT_VULNERABLE["src/server.js"]
    yield (
        "modify a Python file, add one, modify the JavaScript",
        step(
            repo,
            write={
                "app/views.py": vulnerable_views.replace("hashlib.md5(", "hashlib.sha256(")
                + "\n\ndef calc(e):\n"
                "    return eval(e)\n",
                "app/extra.py": EXTRA,
                "src/server.js": server.replace("'ping -c 1 '", "'ping -c 2 '"),
            },
        ),
    )
    yield (
        "rename unchanged files, delete the complex function",
        step(
            repo,
            rename={"app/util.py": "app/helpers.py", "config/settings.py": "config/base.py"},
            delete=["app/rules.py"],
        ),
    )
    yield (
        "rename with a change, more complexity, fix in the renamed file",
        step(
            repo,
            rename={"src/server.js": "src/main.js"},
            write={
                "src/main.js": server.replace("md5", "sha256"),
                "app/logic.py": branches("decide", 20) + "\n\n" + branches("other", 35),
                "app/helpers.py": UTIL.replace("import os\n", ""),
            },
        ),
    )


def initial_files() -> dict[str, str]:
    return {
        "README.md": "# Demo\n\nInstall with pip.\n",
        "app/__init__.py": "",
        "app/views.py": PYTHON_VULNERABLE["app/views.py"],
        "app/util.py": UTIL,
        "app/rules.py": branches("classify", 18),
        "config/settings.py": SETTINGS,
        "src/server.js": JAVASCRIPT_VULNERABLE["src/server.js"],
        "package.json": JAVASCRIPT_VULNERABLE["package.json"],
        "requirements.txt": PYTHON_VULNERABLE["requirements.txt"],
        "tests/test_views.py": PYTHON_VULNERABLE["tests/test_views.py"],
    }


@pytest.fixture
def repo(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    settings.SCAN_INCREMENTAL_MAX_CHANGED_SHARE = 1.0  # a tiny repository: every commit is a big share
    return make_repo(tmp_path / "repo", initial_files())


def project_on(repo: Path, tech_lead, slug: str, scanners=None) -> Project:
    return Project.objects.create(
        name=slug,
        slug=slug,
        tech_lead=tech_lead,
        repository_url=str(repo),
        branch="main",
        enabled_scanners=scanners or [],
    )


def rescan(project: Project, *, force: bool = False) -> tuple[Audit, RescanRun]:
    queued = service.project_rescan_request(project_id=project.pk, force=force, enqueue=False)
    assert queued is not None
    audit = service.audit_rescan_run(audit_id=queued.pk)
    assert audit is not None and audit.status == Audit.Status.COMPLETED, audit and audit.summary
    return audit, RescanRun.objects.get(audit=audit)


def findings_of(project: Project) -> list[tuple]:
    return sorted(
        Finding.objects.filter(project=project).values_list(
            "fingerprint",
            "tool",
            "rule_id",
            "severity",
            "file_path",
            "line",
            "title",
            "status",
            "domain__slug",
        )
    )


PART_KEYS = ("status", "findings", "suppressed_by_team", "coverage", "languages", "covered_lines")


def measured(audit: Audit, run: RescanRun) -> dict:
    return {
        "parts": {name: {k: part.get(k) for k in PART_KEYS} for name, part in run.parts.items()},
        "metrics": [
            audit.warnings_count,
            audit.files_count,
            audit.lines_of_code,
            audit.security_critical,
            audit.security_high,
            audit.security_medium,
            audit.security_low,
        ],
        "scores": sorted(DomainScore.objects.filter(audit=audit).values_list("domain__slug", "score")),
        "gate": audit.unmeasured_domains,
    }


def test_findings_after_incremental_rescans_equal_full_rescans_of_the_same_commits(repo, tech_lead):
    incremental = project_on(repo, tech_lead, "incremental")
    full = project_on(repo, tech_lead, "full")
    audit, run = rescan(incremental)
    assert not run.incremental and run.scan_mode_note == "full: the first re-scan"
    rescan(full, force=True)
    assert findings_of(incremental) == findings_of(full)
    seen_tools = set()
    for what, sha in history(repo):
        inc_audit, inc_run = rescan(incremental)
        full_audit, full_run = rescan(full, force=True)
        assert inc_audit.commit_sha == full_audit.commit_sha == sha
        assert inc_run.incremental, (what, inc_run.scan_mode_note)
        assert (
            not full_run.incremental
            and full_run.scan_mode_note == "full: a full re-scan was asked for (forced or Re-scan now)"
        )
        # Only the changed files were read again by the per-file analyzers.
        assert inc_run.files_analysed < full_run.files_analysed, what
        assert inc_run.parts["lizard"]["files_carried"] > 0 and inc_run.parts["secrets"]["files_carried"] > 0
        assert findings_of(incremental) == findings_of(full), what
        assert measured(inc_audit, inc_run) == measured(full_audit, full_run), what
        seen_tools |= {row[1] for row in findings_of(incremental)}
    # The history exercised every per-file analyzer and the whole-repository ones beside them.
    assert {"semgrep", "bandit", "ruff", "lizard", "auditor-secrets"} <= seen_tools
    statuses = {row[7] for row in findings_of(incremental)}
    assert Finding.Status.FIXED in statuses and Finding.Status.OPEN in statuses


def test_the_files_analysed_are_the_changed_ones(repo, tech_lead):
    project = project_on(repo, tech_lead, "changed", scanners=["ruff", "lizard", "checks"])
    rescan(project)
    step(repo, write={"app/views.py": PYTHON_VULNERABLE["app/views.py"] + "\nimport sys\n"})
    audit, run = rescan(project)
    assert run.incremental and run.files_analysed == 1
    assert run.parts["ruff"]["files_analysed"] == 1 and run.parts["ruff"]["files_carried"] >= 3
    assert run.parts["lizard"]["files_analysed"] == 1
    assert "1 file(s) changed" in run.scan_mode_note
    assert Finding.objects.filter(project=project, rule_id="F401", file_path="app/views.py").count() == 1
    assert Finding.objects.filter(project=project, rule_id="F401", file_path="app/util.py").exists()
    assert IncrementalState.objects.filter(audit__project=project).count() == 1  # only the latest


def test_force_too_many_changes_a_config_change_and_an_old_full_run_fall_back_to_full(
    repo, tech_lead, settings
):
    project = project_on(repo, tech_lead, "fallbacks", scanners=["ruff", "lizard"])
    rescan(project)
    step(repo, write={"app/views.py": "x = 1\n"})
    _audit, run = rescan(project, force=True)
    assert (
        not run.incremental
        and run.scan_mode_note == "full: a full re-scan was asked for (forced or Re-scan now)"
    )

    settings.SCAN_INCREMENTAL_MAX_CHANGED_SHARE = 0.1
    step(repo, write={"app/views.py": "x = 2\n", "app/util.py": "y = 1\n"})
    _audit, run = rescan(project)
    assert not run.incremental and "2 of 10 files changed" in run.scan_mode_note
    settings.SCAN_INCREMENTAL_MAX_CHANGED_SHARE = 1.0

    IncrementalState.objects.filter(audit__project=project).update(
        full_at=timezone.now() - dt.timedelta(days=8)
    )
    step(repo, write={"app/views.py": "x = 3\n"})
    _audit, run = rescan(project)
    assert not run.incremental and "older than 7 days" in run.scan_mode_note

    step(repo, write={"app/views.py": "x = 4\n"})
    _audit, run = rescan(project)
    assert run.incremental  # the full run of the week restarted the count

    project.enabled_scanners = ["ruff"]
    project.save()
    step(repo, write={"app/views.py": "x = 5\n"})
    _audit, run = rescan(project)
    assert not run.incremental and "configuration" in run.scan_mode_note


def test_a_failed_previous_run_and_a_rewritten_history_fall_back_to_full(
    repo, tech_lead, monkeypatch, settings
):
    from rescans.scanners import LizardScanner, ScannerError

    # A worker without a kept checkout: it must fetch the previous commit (a kept checkout still
    # holds it, and compares the trees exactly: test_checkout_cache.py).
    settings.SCAN_CHECKOUT_CACHE_DIR = ""
    project = project_on(repo, tech_lead, "rewritten", scanners=["ruff", "lizard"])
    rescan(project)

    def broken(self, *args):
        raise ScannerError(f"{self.name}: exited with code 3")

    with monkeypatch.context() as patch:
        patch.setattr(LizardScanner, "run", broken)
        step(repo, write={"app/views.py": "x = 1\n"})
        _audit, run = rescan(project)
    assert run.missing == ["lizard"]
    step(repo, write={"app/views.py": "x = 2\n"})
    _audit, run = rescan(project)
    assert not run.incremental and "failed, was partial" in run.scan_mode_note
    # The previous commit is rewritten away and pruned: it cannot be fetched any more.
    git(repo, "commit", "-q", "--amend", "-m", "rewritten")
    git(repo, "reflog", "expire", "--expire=now", "--all")
    git(repo, "gc", "-q", "--prune=now")
    _audit, run = rescan(project)
    assert not run.incremental and "could not be fetched" in run.scan_mode_note


def test_the_rescan_command_is_incremental_unless_full_and_re_scan_now_is_full(repo, tech_lead):
    project = project_on(repo, tech_lead, "command", scanners=["ruff"])
    call_command("rescan", "command", stdout=StringIO())
    step(repo, write={"app/views.py": "x = 1\n"})
    out = StringIO()
    call_command("rescan", "command", stdout=out)
    assert "incremental: 1 file(s) changed" in out.getvalue() and "files analysed: 1" in out.getvalue()

    step(repo, write={"app/views.py": "x = 2\n"})
    out = StringIO()
    call_command("rescan", "command", "--full", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["incremental"] is False and data["force"] is True
    assert data["scan_mode_note"].startswith("full: a full re-scan was asked for")

    step(repo, write={"app/views.py": "x = 3\n"})
    queued = service.project_rescan_request(project_id=project.pk, reason="admin", enqueue=False)
    service.audit_rescan_run(audit_id=queued.pk)
    run = RescanRun.objects.get(audit=queued)
    assert not run.incremental and run.files_analysed == run.parts["ruff"]["files_analysed"] > 1


def test_a_no_change_run_in_between_keeps_the_next_run_incremental(repo, tech_lead):
    project = project_on(repo, tech_lead, "no-change", scanners=["ruff"])
    first, _run = rescan(project)
    _audit, same = rescan(project)
    assert same.outcome == RescanRun.Outcome.NO_CHANGE and same.same_as_id == first.pk
    step(repo, write={"app/views.py": "x = 1\n"})
    _audit, run = rescan(project)
    assert run.incremental and f"since audit #{first.pk}" in run.scan_mode_note
