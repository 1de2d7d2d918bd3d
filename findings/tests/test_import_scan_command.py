"""python manage.py import_scan: counts on success, exit code 2 and a clear message on failure."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from findings.models import Finding, ImportRun
from findings.tests.helpers import FIXTURES

pytestmark = pytest.mark.django_db
MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def run(*args):
    out = StringIO()
    call_command("import_scan", *args, stdout=out)
    return out.getvalue()


def test_import_prints_the_counts_and_feeds_the_audit(project, audit):
    output = run("--project", project.slug, "--audit", str(audit.pk), str(FIXTURES / "bandit_v1.json"))
    assert "bandit report from bandit into champion-clone" in output
    assert "created: 10" in output
    assert "resolved: 0" in output
    assert Finding.objects.filter(project=project).count() == 10
    audit.refresh_from_db()
    assert audit.lines_of_code == 20


def test_dry_run_prints_what_would_change_and_writes_nothing(project):
    run("--project", project.slug, str(FIXTURES / "bandit_v1.json"))
    output = run("--project", project.slug, "--dry-run", str(FIXTURES / "bandit_v2.json"))
    assert "Dry run (nothing written)" in output
    assert "created: 1" in output and "resolved: 1" in output
    assert "first created:" in output and "B102" in output
    assert Finding.objects.filter(project=project).count() == 10
    assert ImportRun.objects.count() == 1


def test_the_format_can_be_forced(project):
    with pytest.raises(CommandError, match="expected junit XML, but the file is JSON") as error:
        run("--project", project.slug, "--format", "junit", str(FIXTURES / "bandit_v1.json"))
    assert error.value.returncode == 2


@pytest.mark.parametrize(
    "args, message",
    [
        (["--project", "nope", "X"], "no project with slug 'nope'"),
        (["--project", "champion-clone", "--audit", "999999", "X"], "has no audit 999999"),
        (["--project", "champion-clone", "missing.json"], "cannot read the file"),
    ],
)
def test_bad_arguments_give_a_clear_message_and_exit_code_2(project, args, message):
    args = [str(FIXTURES / "bandit_v1.json") if a == "X" else a for a in args]
    with pytest.raises(CommandError, match=message) as error:
        run(*args)
    assert error.value.returncode == 2


def test_an_invalid_report_exits_2_and_leaves_the_database_untouched(project, tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_bytes((FIXTURES / "bandit_v1.json").read_bytes()[:400])
    with pytest.raises(CommandError, match=r"broken.json: line \d+, column \d+: invalid JSON"):
        run("--project", project.slug, str(bad))
    assert not Finding.objects.exists() and not ImportRun.objects.exists()


def test_the_process_exit_status_is_2_on_bad_input(project, tmp_path, settings):
    # A real process, as CI runs it (it connects to the same test database).
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    from django.db import connection

    env = {
        "DATABASE_URL": _database_url(connection.settings_dict),
        "SECRET_KEY": "test-only",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [sys.executable, str(MANAGE), "import_scan", "--project", "missing", str(empty)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert "no project with slug 'missing'" in result.stderr


def _database_url(db: dict) -> str:
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_real_process_imports_and_commits_the_report(project):
    # The command line's run ends by closing the connection and freezing the collector.
    from django.db import connection

    env = {
        "DATABASE_URL": _database_url(connection.settings_dict),
        "SECRET_KEY": "test-only",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [
            sys.executable,
            str(MANAGE),
            "import_scan",
            "--project",
            project.slug,
            str(FIXTURES / "bandit_v1.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "created: 10" in result.stdout
    assert "Done." in result.stdout
    assert Finding.objects.filter(project=project).count() == 10
    assert ImportRun.objects.get(project=project).status == ImportRun.Status.SUCCEEDED
