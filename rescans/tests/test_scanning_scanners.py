"""Scanner classes, the built-in checks and the command runner, on real files and processes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from findings.models import Severity
from rescans.runner import exit_waiter, run_command
from rescans.scanners import REGISTRY, RunLimits, ScannerError, enabled_scanners
from rescans.scanners.artifacts import ArtifactsScanner
from rescans.scanners.bandit import BanditScanner
from rescans.scanners.base import STABLE_ID_KEY
from rescans.scanners.checks import ChecksScanner
from rescans.scanners.detect_secrets import DetectSecretsScanner
from rescans.scanners.ruff import RuffScanner
from rescans.tests.scanrepo import FAKE_AWS_KEY, make_repo

LIMITS = RunLimits(timeout_s=120, max_output_bytes=10_000_000)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def by_rule(output):
    return {f.rule_id: f for f in output.findings}


def test_a_well_kept_repository_passes_every_presence_check(tmp_path):
    write(
        tmp_path,
        {
            "README.md": "# x\n",
            "tests/test_app.py": "def test_x():\n    assert True\n",
            ".github/workflows/ci.yml": "on: push\n",
            "requirements.txt": "django==5.2.19\nrequests==2.32.0\n",
            "Dockerfile": "FROM python:3.11 AS build\nFROM python:3.11-slim\nUSER app\n",
            ".env.example": "SECRET_KEY=\n",
            "app.py": "# TODO: later\nx = 1\n\ny = 2  # FIXME\n",
            "web/app.js": "const a = 1;\n",
        },
    )
    output = ChecksScanner().run(tmp_path, LIMITS, str(tmp_path))

    assert output.findings == []
    presence = output.metrics["presence"]
    assert presence == {
        "readme": True,
        "tests": True,
        "ci": True,
        "dockerfile": True,
        "dockerfile_non_root": True,
        "lock_file": False,
        "pinned_requirements": True,
        "env_file_with_secrets": False,
    }
    assert output.metrics["todo_count"] == 2
    assert output.metrics["languages"]["Python"] == {"files": 2, "lines": 5}
    assert output.metrics["languages"]["JavaScript"] == {"files": 1, "lines": 1}
    assert output.metrics["files_count"] == 8


def test_missing_practices_and_a_committed_env_secret_become_findings_in_their_domains(tmp_path):
    write(
        tmp_path,
        {
            "app.py": "x = 1\n",
            "requirements.txt": "django>=5\n",
            "Dockerfile": "FROM python:3.11\nUSER app\nFROM python:3.11-slim\nCMD run\n",
            ".env": "DEBUG=1\nDATABASE_PASSWORD=hunter2-real\nAPI_TOKEN=changeme\n",  # noqa: E501 # pragma: allowlist secret
        },
    )
    found = by_rule(ChecksScanner().run(tmp_path, LIMITS, str(tmp_path)))

    assert set(found) == {
        "no-readme",
        "no-tests",
        "no-ci",
        "dockerfile-root",
        "no-lock-file",
        "env-file-secret",
    }
    assert found["no-tests"].domain_slug == "testing" and found["no-tests"].severity == Severity.HIGH
    assert found["dockerfile-root"].file_path == "Dockerfile"  # the last stage runs as root
    assert found["env-file-secret"].domain_slug == "security"
    assert "DATABASE_PASSWORD" in found["env-file-secret"].title  # the name, never the value
    assert "hunter2" not in found["env-file-secret"].title + found["env-file-secret"].description


def test_detect_secrets_reports_the_committed_key_by_hash_only(tmp_path):
    repo = make_repo(tmp_path / "r", {"settings.py": f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\n'})
    output = DetectSecretsScanner().run(repo, LIMITS, str(tmp_path))

    [finding] = output.findings
    assert (finding.rule_id, finding.file_path, finding.line) == ("AWS Access Key", "settings.py", 1)
    assert FAKE_AWS_KEY not in finding.description
    assert finding.tool_fingerprint.startswith(f"{STABLE_ID_KEY}=AWS Access Key:")
    assert finding.snippet == ""  # the line holding the secret is never stored


def test_ruff_findings_have_repository_relative_paths(tmp_path):
    write(tmp_path, {"pkg/mod.py": "import os\n"})
    [finding] = RuffScanner().run(tmp_path, LIMITS, str(tmp_path)).findings
    assert (finding.rule_id, finding.file_path, finding.line) == ("F401", "pkg/mod.py", 1)


def test_ci_artifacts_are_picked_up_at_the_configured_paths_only(tmp_path, settings):
    settings.SCAN_ARTIFACT_PATHS = ["reports/coverage.xml", "reports/junit.xml"]
    write(
        tmp_path,
        {
            "reports/coverage.xml": '<coverage line-rate="0.5" branch-rate="0" version="7"></coverage>',
            "reports/junit.xml": '<testsuite name="s" tests="2"><testcase name="a"/>'
            '<testcase classname="t" name="b"><failure/></testcase></testsuite>',
            "other/junit.xml": "<testsuite/>",
        },
    )
    output = ArtifactsScanner().run(tmp_path, LIMITS, str(tmp_path))
    assert output.metrics["artifacts"] == [
        {"path": "reports/coverage.xml", "kind": "cobertura"},
        {"path": "reports/junit.xml", "kind": "junit"},
    ]
    # Read by the importer's own readers: the failed test is a finding of the JUnit report.
    assert [(path, report.format) for path, report in output.files] == [
        ("reports/coverage.xml", "cobertura"),
        ("reports/junit.xml", "junit"),
    ]
    assert [f.tool for f in output.files[1][1].findings] == ["junit"]


def test_a_ci_artifact_the_importer_refuses_fails_the_part_naming_the_file(tmp_path, settings):
    settings.SCAN_ARTIFACT_PATHS = ["coverage.xml"]
    write(
        tmp_path,
        {
            "coverage.xml": '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            '<coverage line-rate="&x;"/>',
        },
    )
    with pytest.raises(ScannerError) as failed:
        ArtifactsScanner().run(tmp_path, LIMITS, str(tmp_path))
    assert "coverage.xml" in str(failed.value) and "DTD" in str(failed.value)
    assert "root:" not in str(failed.value)


def test_the_enabled_scanner_list_is_per_project_and_unknown_names_are_refused():
    assert [s.name for s in enabled_scanners([])] == [n for n in REGISTRY if n != "detect-secrets"]
    assert [s.name for s in enabled_scanners(["ruff", "bandit"])] == ["bandit", "ruff"]
    assert [s.name for s in enabled_scanners(["detect-secrets"])] == ["detect-secrets"]
    with pytest.raises(ValueError, match="Unknown scanner.*gitleaks"):
        enabled_scanners(["gitleaks"])


def test_the_runner_kills_a_command_that_runs_too_long(tmp_path):
    result = run_command(
        [sys.executable, "-c", "import time; print('start', flush=True); time.sleep(30)"],
        cwd=tmp_path,
        timeout_s=1,
        max_output_bytes=1000,
    )
    assert result.timed_out and result.returncode is None
    assert result.duration_s < 10


def test_the_runner_kills_a_command_whose_output_exceeds_the_cap(tmp_path):
    result = run_command(
        [sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"],
        cwd=tmp_path,
        timeout_s=30,
        max_output_bytes=1_000_000,
    )
    assert result.output_too_large and result.returncode is None
    assert len(result.stdout) <= 1_000_001


def test_the_runners_wait_ends_when_the_command_ends_not_at_the_next_look():
    """The wait between two looks at a running command returns as soon as it exits: a dozen
    short git commands in a row each lost up to 50 ms to the look's sleep before."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(0.2)"])
    try:
        with exit_waiter(proc.pid) as wait_exit:
            started = time.monotonic()
            wait_exit(30)
            waited = time.monotonic() - started
        assert proc.wait(timeout=5) == 0
        assert waited < 15  # it woke with the exit, not after the 30 s asked
    finally:
        proc.kill()
        proc.wait()


def test_the_runners_wait_sleeps_the_whole_delay_when_the_process_runs_on():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with exit_waiter(proc.pid) as wait_exit:
            started = time.monotonic()
            wait_exit(0.3)
            assert time.monotonic() - started >= 0.29
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait()


def test_the_runner_refuses_a_shell_string(tmp_path):
    with pytest.raises(TypeError):
        run_command("echo hi", cwd=tmp_path, timeout_s=5, max_output_bytes=100)


# --- auditor's configuration, never the repository's; the team's suppressions are counted -------

SHELL_CODE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def test_ruff_ignores_the_repositorys_configuration_even_one_extending_a_file_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "web.env").write_text("SECRET_KEY=leaked-web-secret-1234\n")
    repo = write(
        tmp_path / "repo",
        {
            "ruff.toml": f'extend = "{outside / "web.env"}"\n',
            "pyproject.toml": '[tool.ruff]\nextend = "/etc/passwd"\n[tool.ruff.lint]\nignore = ["F401"]\n',
            "mod.py": "import os\n",
        },
    )
    output = RuffScanner().run(repo, LIMITS, str(tmp_path))

    [finding] = output.findings  # the repository's "ignore F401" did not apply either
    assert finding.rule_id == "F401"
    assert "leaked-web-secret" not in repr(output.findings) and "passwd" not in repr(output.findings)


def test_ruff_counts_what_the_team_silenced_with_noqa(tmp_path):
    repo = write(
        tmp_path,
        {
            "a.py": "import os  # noqa\n",
            "b.py": "# ruff: noqa: F401\nimport json\n",
            "c.py": "import sys  # noqa: F401\n",
            "d.py": "import re  # noqa: E501\n",
        },
    )
    output = RuffScanner().run(repo, LIMITS, str(tmp_path))

    assert [(f.rule_id, f.file_path, f.line) for f in output.findings if f.rule_id == "F401"] == [
        ("F401", "d.py", 1)  # "noqa: E501" does not cover F401
    ]
    assert output.suppressed == 3 == output.metrics["suppressed_by_team"]


def test_bandit_ignores_the_repositorys_bandit_files(tmp_path):
    repo = write(
        tmp_path,
        {
            ".bandit": "[bandit]\nskips = B602,B404\nexclude = app.py\n",
            "pyproject.toml": "[tool.bandit]\nskips = ['B602', 'B404']\n",
            "app.py": SHELL_CODE,
        },
    )
    output = BanditScanner().run(repo, LIMITS, str(tmp_path))
    assert {"B602", "B404"} <= {f.rule_id for f in output.findings}


def test_bandit_counts_nosec_results_as_suppressed_by_the_team_and_leaves_them_out(tmp_path):
    repo = write(
        tmp_path,
        {
            "app.py": (
                "import subprocess  # nosec B404\n\n\n"
                "def run(cmd):\n    return subprocess.call(cmd, shell=True)  # nosec\n\n\n"
                "def other(cmd):\n    return subprocess.call(cmd, shell=True)  # nosec B101\n"
            )
        },
    )
    output = BanditScanner().run(repo, LIMITS, str(tmp_path))

    assert [(f.rule_id, f.line) for f in output.findings] == [("B602", 9)]  # B101 is another test
    assert output.suppressed == 2
    raw = json.loads(output.source)  # what the importer is given
    assert [(r["test_id"], r["line_number"]) for r in raw["results"]] == [("B602", 9)]


def test_bandit_never_states_an_input_control_weakness_with_high_confidence(tmp_path):
    repo = write(
        tmp_path,
        {
            "views.py": (
                "import os\nimport jinja2\n\n\n"
                "def env(**options):\n"
                '    options.setdefault("autoescape", True)\n'
                "    return jinja2.Environment(**options)\n\n\n"
                "def run(command):\n"
                "    return os.system(command)\n\n\n"
                "def bind():\n"
                '    return ("0.0.0.0", 80)\n'
            )
        },
    )
    output = BanditScanner().run(repo, LIMITS, str(tmp_path))

    found = sorted((f.rule_id, f.line, f.severity, f.confidence, f.cwe) for f in output.findings)
    # Shell and template findings: the call's shape, not input seen reaching it. B104 (binding
    # to every interface) is no input-control weakness and keeps bandit's confidence.
    assert found == [
        ("B104", 15, Severity.MEDIUM, "medium", "CWE-605"),
        ("B605", 11, Severity.HIGH, "medium", "CWE-78"),
        ("B701", 7, Severity.HIGH, "medium", "CWE-94"),
    ]
    raw = json.loads(output.source)
    assert sorted((r["test_id"], r["issue_confidence"]) for r in raw["results"]) == [
        ("B104", "MEDIUM"),
        ("B605", "MEDIUM"),
        ("B701", "MEDIUM"),
    ]


def test_bandit_weak_hash_call_alone_is_a_medium_weakness(tmp_path):
    repo = write(
        tmp_path, {"cache.py": "import hashlib\n\n\ndef key(url):\n    return hashlib.md5(url).hexdigest()\n"}
    )
    output = BanditScanner().run(repo, LIMITS, str(tmp_path))

    # A weak hash is no input-control weakness: bandit's high confidence stays.
    assert [(f.rule_id, f.line, f.severity, f.confidence) for f in output.findings] == [
        ("B324", 5, Severity.MEDIUM, "high")
    ]
    assert [r["issue_severity"] for r in json.loads(output.source)["results"]] == ["MEDIUM"]


def test_detect_secrets_counts_allowlisted_secrets_as_suppressed(tmp_path):
    key = FAKE_AWS_KEY
    repo = make_repo(
        tmp_path / "r",
        {
            "a.py": (
                f'a = "{key[:-1]}A"  # pragma: allowlist secret\n'
                "# pragma: allowlist nextline secret\n"
                f'b = "{key[:-1]}B"\n'
                f'c = "{key}"\n'
            )
        },
    )
    output = DetectSecretsScanner().run(repo, LIMITS, str(tmp_path))
    assert [(f.file_path, f.line) for f in output.findings] == [("a.py", 4)]
    assert output.suppressed == 2
