"""What leaves an analyzer: its environment, its system limits, and the text auditor keeps."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from rescans import sanitize
from rescans.runner import ResourceLimits, run_command, safe_env
from rescans.sanitize import PATH_MARK, SECRET_MARK, clean_data, clean_text
from rescans.scanners.base import (
    RunLimits,
    Scanner,
    ScannerError,
    ScannerOutput,
    scan_finding,
)

FAKE_SECRET_KEY = "django-" + "s3cr3t-key-of-the-web-process-0123456789"
FAKE_DB_PASSWORD = "db-" + "pa55word-XYZ987"
FAKE_DATABASE_URL = f"postgres://auditor:{FAKE_DB_PASSWORD}@db.internal:5432/auditor"
ALLOWED_ENV = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING"}
PRINT_ENV = "import json, os; print(json.dumps(dict(os.environ)))"


@pytest.fixture
def web_secrets(settings, monkeypatch):
    """The web process's secrets, in its settings and its environment, as in production."""
    monkeypatch.setenv("SECRET_KEY", FAKE_SECRET_KEY)
    monkeypatch.setenv("DATABASE_URL", FAKE_DATABASE_URL)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-" + "secret-value-0987654321")
    settings.SECRET_KEY = FAKE_SECRET_KEY
    monkeypatch.setitem(settings.DATABASES["default"], "PASSWORD", FAKE_DB_PASSWORD)
    sanitize.forget_own_secrets()
    yield
    sanitize.forget_own_secrets()


class PrintEnv(Scanner):
    """A scanner whose "analyzer" prints its environment and limits (a real subprocess)."""

    name = "print-env"
    tool = "print-env"
    domain = "security"

    def command(self, workspace: Path) -> list[str]:
        code = (
            "import json, os, resource; print(json.dumps({'env': dict(os.environ), 'limits': "
            "[resource.getrlimit(getattr(resource, n)) for n in ('RLIMIT_AS', 'RLIMIT_CPU', "
            "'RLIMIT_FSIZE', 'RLIMIT_CORE')]}))"
        )
        return [sys.executable, "-c", code]

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        data = json.loads(stdout)
        return ScannerOutput(scanner=self.name, tool=self.tool, metrics={"seen": data})


# --- environment and limits ---------------------------------------------------------------------


def test_an_analyzer_process_gets_a_minimal_environment_without_auditors_secrets(tmp_path, web_secrets):
    result = run_command(
        [sys.executable, "-c", PRINT_ENV],
        cwd=tmp_path,
        timeout_s=30,
        max_output_bytes=100_000,
        env=safe_env(str(tmp_path)),
        limits=ResourceLimits(memory_bytes=1024**3, cpu_seconds=60, file_bytes=10**7),
    )
    env = json.loads(result.stdout)
    assert set(env) <= ALLOWED_ENV
    assert env["HOME"] == str(tmp_path)
    assert "SECRET_KEY" not in env and "DATABASE_URL" not in env
    assert FAKE_SECRET_KEY not in result.stdout.decode() and FAKE_DB_PASSWORD not in result.stdout.decode()


def test_analyzers_beside_semgrep_run_at_a_lower_cpu_priority(tmp_path):
    import os

    from rescans.scanners import BanditScanner, LizardScanner, SemgrepScanner

    def niceness_of(limits: ResourceLimits) -> int:
        command = [sys.executable, "-c", "import os; print(os.nice(0))"]
        result = run_command(command, cwd=tmp_path, timeout_s=30, max_output_bytes=100, limits=limits)
        return int(result.stdout)

    base = os.nice(0)
    assert niceness_of(ResourceLimits()) == base
    assert niceness_of(ResourceLimits(niceness=BanditScanner.niceness)) == min(19, base + 2)
    assert SemgrepScanner.niceness == 0 and LizardScanner.niceness == BanditScanner.niceness > 0


def test_a_scanner_runs_under_the_configured_memory_cpu_and_file_size_limits(tmp_path, settings, web_secrets):
    settings.SCAN_MAX_MEMORY_BYTES = 1536 * 1024 * 1024
    settings.SCAN_MAX_CPU_SECONDS = 77
    settings.SCAN_MAX_FILE_BYTES = 123_456_789
    output = PrintEnv().run(tmp_path, RunLimits(timeout_s=30, max_output_bytes=1_000_000), str(tmp_path))

    seen = output.metrics["seen"]
    assert set(seen["env"]) <= ALLOWED_ENV and "SECRET_KEY" not in seen["env"]
    memory, cpu, fsize, core = seen["limits"]
    assert memory == [1536 * 1024 * 1024] * 2
    assert cpu[0] == 77 and cpu[1] > 77  # SIGXCPU first, SIGKILL a few seconds later
    assert fsize == [123_456_789] * 2
    assert core == [0, 0]


def test_zero_means_not_limited_and_the_defaults_are_finite(settings):
    settings.SCAN_MAX_MEMORY_BYTES = 0
    limits = RunLimits()
    assert limits.memory_bytes is None
    del settings.SCAN_MAX_CPU_SECONDS
    assert RunLimits().cpu_seconds == 900


def limited(cwd: Path, code_or_args: str | list[str], max_output_bytes: int = 1000, **limits):
    """Run Python code (or a command) under the given system limits."""
    args = [sys.executable, "-c", code_or_args] if isinstance(code_or_args, str) else code_or_args
    return run_command(
        args, cwd=cwd, timeout_s=60, max_output_bytes=max_output_bytes, limits=ResourceLimits(**limits)
    )


def test_a_command_over_its_cpu_limit_is_stopped_and_says_so(tmp_path):
    result = limited(tmp_path, "while True: pass", cpu_seconds=1)
    assert result.limit_hit == "CPU time" and result.returncode is None
    assert result.duration_s < 30


def test_a_command_over_its_memory_limit_fails_and_says_so(tmp_path):
    result = limited(tmp_path, "x = bytearray(900 * 1024 * 1024)", 100_000, memory_bytes=400 * 1024 * 1024)
    assert result.limit_hit == "memory"


@pytest.mark.parametrize(
    "command",
    [
        ["dd", "if=/dev/zero", "of=big", "bs=1000", "count=100"],  # killed by SIGXFSZ
        "open('big', 'wb').write(b'x' * 100_000)",  # Python ignores SIGXFSZ: "File too large"
    ],
)
def test_a_command_writing_a_file_over_the_size_limit_is_stopped(tmp_path, command):
    result = limited(tmp_path, command, file_bytes=5000)
    assert result.limit_hit == "file size"
    assert (tmp_path / "big").stat().st_size <= 5000


def test_output_over_the_cap_stops_the_command_at_the_cap_without_waiting_for_the_poll(tmp_path):
    # The file-size limit is raised to the output cap + 1, so writing past the cap fails at once.
    result = limited(
        tmp_path, "import sys\nwhile True: sys.stdout.write('x' * 65536)", 100_000, file_bytes=5000
    )
    assert result.output_too_large and result.returncode is None
    assert len(result.stdout) == 100_001


def test_a_scanner_stopped_by_a_limit_fails_with_a_message_naming_the_limit(tmp_path):
    class Spin(PrintEnv):
        def command(self, workspace):
            return [sys.executable, "-c", "while True: pass"]

    limits = RunLimits(timeout_s=60, max_output_bytes=1000, cpu_seconds=1)
    with pytest.raises(ScannerError, match="stopped by its CPU time limit"):
        Spin().run(tmp_path, limits, str(tmp_path))


# --- sanitising ---------------------------------------------------------------------------------


def test_auditors_own_secret_values_are_removed_wherever_they_appear(web_secrets):
    text = (
        f"TOML parse error: unexpected line\n  | SECRET_KEY={FAKE_SECRET_KEY}\n"
        f"  | DATABASE_URL={FAKE_DATABASE_URL}\nquoted elsewhere: {FAKE_SECRET_KEY} and {FAKE_DB_PASSWORD}"
    )
    cleaned = clean_text(text)
    assert FAKE_SECRET_KEY not in cleaned and FAKE_DB_PASSWORD not in cleaned
    assert "SECRET_KEY=" in cleaned  # the names stay, so the message still makes sense
    assert SECRET_MARK in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "key AKIA" + "IOSFODNN7EXAMPLE in config",
        "token ghp_" + "a" * 36,
        "https://bot:" + "tok3n-value@git.example.com/org/repo.git",
        "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
        "Authorization: Bearer abcdef0123456789",
        "api_key = 'hunter2'",
        "PASSWORD=hunter2hunter2",
        "auditor token aud_" + "x" * 30,
    ],
)
def test_text_that_looks_like_a_secret_is_replaced(text):
    cleaned = clean_text(text)
    assert SECRET_MARK in cleaned or "***@" in cleaned
    for secret in (
        "IOSFODNN7EXAMPLE",
        "a" * 36,
        "tok3n-value",
        "MIIEow",
        "abcdef0123456789",
        "hunter2",
        "x" * 30,
    ):
        assert secret not in cleaned


def test_ordinary_analyzer_messages_are_left_readable():
    for text in (
        "Committed secret: AWS Access Key",
        "F401 `os` imported but unused",
        "B602 subprocess_popen_with_shell_equals_true: subprocess call with shell=True identified",
        "See https://docs.astral.sh/ruff/rules/unused-import and/or 1/2",
    ):
        assert clean_text(text) == text


def test_absolute_paths_are_removed_and_paths_in_the_checkout_become_relative(settings):
    checkout = "/tmp/auditor-scan-k2j_x9/repo"
    text = (
        f"{checkout}/pkg/app.py:3: error reading /etc/passwd and ~/.ssh/id_rsa "
        f"from {settings.BASE_DIR}/auditor/settings.py"
    )
    cleaned = clean_text(text)
    assert cleaned.startswith("pkg/app.py:3: error reading ")
    assert "/etc/passwd" not in cleaned and ".ssh" not in cleaned and str(settings.BASE_DIR) not in cleaned
    assert cleaned.count(PATH_MARK) == 3
    # Any other checkout folder, when named.
    assert clean_text("/srv/x/repo/a.py: bad", workspace=Path("/srv/x/repo")) == "a.py: bad"


def test_control_characters_lone_surrogates_and_bidi_overrides_are_removed_and_length_capped():
    assert clean_text("a\x00b\x1b[31mc\ud800d\u202ee\tf\ng") == "ab[31mc\ufffdde\tf\ng"
    long = clean_text("x" * 50_000, limit=1000)
    assert len(long) == 1000 and long.endswith("[truncated]")
    assert clean_text(b"caf\xc3\xa9 \xff") == "café \ufffd"


def test_structures_are_cleaned_through_and_stay_valid_json():
    data = clean_data({"/etc/shadow": ["SECRET=abcdef12", float("nan"), 3, {"k": "\x00v"}]})
    assert data == {PATH_MARK: [f"SECRET={SECRET_MARK}", None, 3, {"k": "v"}]}


def test_findings_outputs_and_errors_are_cleaned_where_they_are_built(web_secrets):
    finding = scan_finding(
        tool="bandit",
        domain="security",
        rule_id="B105\x00",
        title=f"B105: Possible hardcoded password: '{FAKE_SECRET_KEY}' read from /etc/auditor.env"
        + "x" * 600,
        severity="high",
        file_path="app.py",
        line=2**40,
        description="\ud800",
        help_url="javascript:alert(1)",
    )
    assert finding.rule_id == "B105"
    assert FAKE_SECRET_KEY not in finding.title and "/etc/auditor.env" not in finding.title
    assert len(finding.title) <= 500
    assert finding.line is None  # out of range for the database column
    assert finding.description == "\ufffd"
    assert finding.recommendation == ""

    output = ScannerOutput(scanner="s", tool="s", metrics={"note": f"read {FAKE_DATABASE_URL}"})
    assert FAKE_DB_PASSWORD not in json.dumps(output.metrics)

    error = ScannerError(
        "ruff: exited with code 2",
        stderr_tail=f"error: failed to parse /home/web/.env:\nSECRET_KEY={FAKE_SECRET_KEY}\n",
    )
    assert FAKE_SECRET_KEY not in error.stderr_tail and "/home/web" not in error.stderr_tail

    crash = ScannerError(
        "bandit: exited with code 1",
        stderr_tail='Traceback (most recent call last):\n  File "/venv/lib/x.py", line 3, in <module>\n'
        "    import y\n    ^^^^^^^^\nImportError: cannot load y\n",
    )
    assert crash.stderr_tail == "ImportError: cannot load y\n"  # the error, not the analyzer's frames


# --- repository credentials -------------------------------------------------------------------

TOKEN = "glpat-" + "Zq8xY2wV4uT6sR1pO3nM"
URL_WITH_TOKEN = f"https://ci-bot:{TOKEN}@git.example.com/team/app.git"


def test_credentials_typed_into_the_url_are_stored_apart(project):
    project.repository_url = URL_WITH_TOKEN
    project.save()
    project.refresh_from_db()
    assert project.repository_url == "https://git.example.com/team/app.git"
    assert project.repository_credentials == f"https://ci-bot:{TOKEN}@git.example.com"

    project.repository_url = "https://git.example.com/team/renamed.git"  # same host: kept
    project.save(update_fields=["repository_url"])
    project.refresh_from_db()
    assert project.repository_credentials.endswith("@git.example.com")

    project.repository_url = "https://attacker.example/team/app.git"  # another host: dropped
    project.save(update_fields=["repository_url"])
    project.refresh_from_db()
    assert project.repository_credentials == ""


def test_the_migration_moves_existing_credentials_out_of_the_url(project):
    import importlib

    from django.apps import apps

    from projects.models import Project

    migration = importlib.import_module("projects.migrations.0012_project_repository_credentials")
    Project.objects.filter(pk=project.pk).update(repository_url=URL_WITH_TOKEN)
    migration.move_credentials_apart(apps, None)
    project.refresh_from_db()
    assert project.repository_url == "https://git.example.com/team/app.git"
    assert TOKEN in project.repository_credentials
    migration.put_credentials_back(apps, None)
    project.refresh_from_db()
    assert project.repository_url == URL_WITH_TOKEN


def test_tech_leads_and_managers_never_see_the_credentials(client, project, tech_lead, manager, admin):
    project.repository_url = URL_WITH_TOKEN
    project.save()
    pages = [
        project.get_absolute_url(),
        f"/admin/projects/project/{project.pk}/change/",
        "/admin/projects/project/",
    ]
    for user in (tech_lead, manager, admin):
        client.force_login(user)
        for page in pages:
            response = client.get(page)
            assert response.status_code in (200, 302, 403)
            assert TOKEN not in response.content.decode(), (user.username, page)
    from auditlog.models import LogEntry

    assert TOKEN not in json.dumps(list(LogEntry.objects.values_list("changes", flat=True)))


def test_a_failed_git_call_never_shows_the_credentials(tmp_path):
    from rescans import workspace

    with pytest.raises(workspace.RepositoryError) as failure:
        workspace.remote_head(url=f"https://ci-bot:{TOKEN}@127.0.0.1:9/team/app.git", branch="main")
    assert TOKEN not in str(failure.value)
    assert "git ls-remote failed" in str(failure.value)


@given(st.text(), st.text(), st.integers(min_value=40, max_value=400))
@hypothesis_settings(max_examples=300, deadline=None)
def test_cleaned_text_is_always_storable_capped_and_without_the_secret(prefix, suffix, limit):
    key = "AKIA" + "IOSFODNN7EXAMPLE"
    cleaned = clean_text(f"{prefix} {key} {suffix}", limit=limit)
    assert len(cleaned) <= limit
    assert key not in cleaned
    assert not any(ord(ch) < 32 and ch not in "\t\n" for ch in cleaned)
    assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in cleaned)
    cleaned.encode("utf-8")  # PostgreSQL text: always encodable
