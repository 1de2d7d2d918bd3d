"""Re-scans of crafted, hostile repositories, end to end with the real analyzers.

Each case checks what the issue asks of every hostile input: the run ends with a clear
message (never left running, no traceback stored), and nothing from outside the checkout
appears in any text auditor stored about it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core import serializers

from findings.models import Finding, ImportRun
from projects.models import Audit
from rescans import sanitize
from rescans import services as service
from rescans.models import RescanRun
from rescans.tests.scanrepo import commit, make_repo

pytestmark = pytest.mark.django_db

OUTSIDE_SECRET = "outside-" + "s3cret-VALUE-7f3a9c"
WEB_SECRET_KEY = "web-" + "secret-key-of-auditor-55e1b0"
WEB_DB_PASSWORD = "web-" + "db-password-a0c7"


@pytest.fixture
def outside(tmp_path, monkeypatch, settings):
    """Files beside the repository that no analyzer may read, and the web process's secrets."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "web.env").write_text(
        f"SECRET_KEY={WEB_SECRET_KEY}\nDATABASE_URL=postgres://auditor:{WEB_DB_PASSWORD}@db/auditor\n"
    )
    (folder / "secret.py").write_text(f'password = "{OUTSIDE_SECRET}"\ntoken = "{OUTSIDE_SECRET}"\n')
    monkeypatch.setenv("SECRET_KEY", WEB_SECRET_KEY)
    monkeypatch.setenv("DATABASE_URL", f"postgres://auditor:{WEB_DB_PASSWORD}@db/auditor")
    sanitize.forget_own_secrets()
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    yield folder
    sanitize.forget_own_secrets()


def rescan(project, repo: Path) -> Audit:
    project.repository_url = str(repo)
    project.branch = "main"
    project.save()
    audit = service.project_rescan_request(project_id=project.pk, enqueue=False)
    service.audit_rescan_run(audit_id=audit.pk)
    return Audit.objects.get(pk=audit.pk)


def stored_text(project) -> str:
    """Everything auditor stored about the project's re-scans, as one text."""
    rows = [
        *Finding.objects.filter(project=project),
        *Audit.objects.filter(project=project),
        *RescanRun.objects.filter(audit__project=project),
        *ImportRun.objects.filter(project=project),
        *LogEntry.objects.all(),
    ]
    return serializers.serialize("json", rows)


def assert_clean(project, audit: Audit, *, outside: Path, shown_links: tuple[str, ...] = ()) -> str:
    """`shown_links`: link texts the run names on purpose (what the repository committed)."""
    assert audit.status in (Audit.Status.COMPLETED, Audit.Status.FAILED), "a run never stays running"
    text = stored_text(project)
    for link in shown_links:
        text = text.replace(link, "")
    for forbidden in (OUTSIDE_SECRET, WEB_SECRET_KEY, WEB_DB_PASSWORD, str(outside), "Traceback"):
        assert forbidden not in text, forbidden
    assert "\\u0000" not in text and "\\u001b" not in text
    return text


def parts(audit: Audit) -> dict:
    return RescanRun.objects.get(audit=audit).parts


def test_links_and_configuration_pointing_outside_leak_nothing(project, tmp_path, outside):
    repo = make_repo(tmp_path / "repo")
    (repo / "leak.py").symlink_to(outside / "secret.py")
    (repo / "env.py").symlink_to("../outside/web.env")
    (repo / "etc").symlink_to("/etc")
    commit(
        repo,
        {
            "ruff.toml": f'extend = "{outside / "web.env"}"\n',
            "pyproject.toml": (
                f'[tool.ruff]\nextend = "{outside / "web.env"}"\n\n[tool.bandit]\nexclude_dirs = ["."]\n'
            ),
            ".bandit": "[bandit]\nexclude = .\nskips = B602,B105\n",
            ".secrets.baseline": '{"results": {}, "version": "1.5.0"}\n',
        },
        "hostile configuration",
    )
    audit = rescan(project, repo)

    assert audit.status == Audit.Status.COMPLETED
    run_parts = parts(audit)
    assert run_parts["ruff"]["status"] == "ok" and run_parts["bandit"]["status"] == "ok"
    assert "3 symbolic links leaving the repository were removed before analysis" in audit.summary
    assert "leak.py -> " in audit.summary and "etc -> /etc" in audit.summary
    assert_clean(project, audit, outside=outside, shown_links=(f"leak.py -> {outside / 'secret.py'}",))
    # The repository's own bandit and ruff settings did not apply: its shell=True call is found.
    assert Finding.objects.filter(project=project, tool="bandit", rule_id="B602").exists()
    assert not Finding.objects.filter(project=project, file_path__in=["leak.py", "env.py"]).exists()


def test_output_beyond_the_cap_fails_that_scanner_alone_with_a_clear_message(
    project, tmp_path, outside, settings
):
    settings.SCAN_MAX_OUTPUT_BYTES = 200_000
    lines = "".join(f"import os as alias_{i}\n" for i in range(3000))  # 3000 ruff findings
    repo = make_repo(tmp_path / "repo", {"many.py": lines, "README.md": "# x\n"})
    audit = rescan(project, repo)

    assert audit.status == Audit.Status.COMPLETED
    ruff = parts(audit)["ruff"]
    assert ruff["status"] == "failed" and ruff["error"] == "ruff: output larger than 200000 bytes"
    assert parts(audit)["bandit"]["status"] == "ok"
    assert_clean(project, audit, outside=outside)


def test_a_scanner_over_its_memory_limit_fails_alone_and_names_the_limit(
    project, tmp_path, outside, settings
):
    settings.SCAN_MAX_MEMORY_BYTES = 16 * 1024 * 1024  # too little for any analyzer
    repo = make_repo(tmp_path / "repo")
    audit = rescan(project, repo)

    assert audit.status == Audit.Status.COMPLETED
    run_parts = parts(audit)
    assert run_parts["bandit"]["status"] == "failed"
    assert run_parts["bandit"]["error"].startswith("bandit: stopped by its memory limit")
    assert run_parts["ruff"]["status"] == "failed"
    assert "memory limit" in run_parts["ruff"]["error"]
    assert run_parts["checks"]["status"] == "ok"  # built in, not a subprocess
    assert_clean(project, audit, outside=outside)


def test_control_characters_and_nul_bytes_in_files_and_names_never_reach_stored_text(
    project, tmp_path, outside
):
    repo = make_repo(tmp_path / "repo")
    weird = "evil\x1b[2Jname\x07.py"
    (repo / weird).write_text(
        'password = "hunter2\x1b[31m"\nimport subprocess\nsubprocess.call("x", shell=True)\n'
    )
    (repo / "nul.py").write_bytes(b"x = 1\x00\x00\nimport os\n")
    commit(repo, {}, "weird files")
    audit = rescan(project, repo)

    assert audit.status == Audit.Status.COMPLETED
    text = assert_clean(project, audit, outside=outside)
    assert "hunter2" not in text  # bandit quotes the hardcoded password; it is masked
    paths = set(Finding.objects.filter(project=project).values_list("file_path", flat=True))
    assert "evil[2Jname.py" in paths  # the same file, its name without the control characters


def test_the_teams_suppressions_are_counted_and_shown(project, tmp_path, outside):
    repo = make_repo(
        tmp_path / "repo",
        {
            "app.py": "import subprocess  # nosec\n\nsubprocess.call('x', shell=True)  # nosec B602\n",
            "lint.py": "import os  # noqa\n",
        },
    )
    audit = rescan(project, repo)

    assert audit.status == Audit.Status.COMPLETED
    assert parts(audit)["bandit"]["suppressed_by_team"] == 2
    assert parts(audit)["ruff"]["suppressed_by_team"] >= 1
    assert "Suppressed by the team in the code, not imported: bandit 2, ruff" in audit.summary
    # "nosec B602" silences B602 only: bandit's other finding on that line stays.
    assert set(Finding.objects.filter(project=project, tool="bandit").values_list("rule_id", flat=True)) == {
        "B607"
    }
    assert_clean(project, audit, outside=outside)


def test_a_repository_that_cannot_be_cloned_fails_with_a_clear_message(project, tmp_path, outside):
    missing = tmp_path / "not-a-repo"
    missing.mkdir()
    audit = rescan(project, missing)

    assert audit.status == Audit.Status.FAILED
    run = RescanRun.objects.get(audit=audit)
    assert run.error.startswith("git ls-remote failed")
    assert str(tmp_path) not in run.error and str(tmp_path) not in audit.summary
    assert_clean(project, audit, outside=outside)
    assert not os.path.exists(missing / ".git")
