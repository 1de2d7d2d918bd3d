"""Production settings, checked the way an operator would: `manage.py check --deploy`."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "SESSION_", "CSRF_", "DEBUG", "CSP_", "PROMETHEUS"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_debug_off_and_a_real_secret_key():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="auditor.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_complains_when_https_protections_are_turned_off():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="auditor.example.com",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr + result.stdout
    assert "security.W012" in result.stderr + result.stdout


def print_settings(*names: str, **env: str) -> dict[str, str]:
    code = "from django.conf import settings; " + "; ".join(
        f"print('SETTING', {name!r}, repr(getattr(settings, {name!r}, None)))" for name in names
    )
    result = run_manage("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    lines = [line.split(" ", 2)[1:] for line in result.stdout.splitlines() if line.startswith("SETTING ")]
    return dict(lines)


def test_make_run_with_debug_on_keeps_plain_http_working():
    values = print_settings(
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        DEBUG="true",
    )

    assert values == {
        "SECURE_SSL_REDIRECT": "False",
        "SESSION_COOKIE_SECURE": "False",
        "CSRF_COOKIE_SECURE": "False",
        "SECURE_HSTS_SECONDS": "0",
    }


def test_the_proxy_https_header_is_configurable():
    values = print_settings(
        "SECURE_PROXY_SSL_HEADER",
        DEBUG="false",
        SECRET_KEY="x" * 60,
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https",
    )

    assert values["SECURE_PROXY_SSL_HEADER"] == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_a_malformed_proxy_header_is_refused_with_a_clear_message():
    result = run_manage("check", DEBUG="false", SECRET_KEY="x" * 60, SECURE_PROXY_SSL_HEADER="https")

    assert result.returncode != 0
    assert 'SECURE_PROXY_SSL_HEADER must look like "X-Forwarded-Proto: https"' in result.stderr


def test_empty_values_copied_from_the_example_file_keep_the_safe_defaults():
    empty = {
        name: ""
        for name in (
            "SECURE_SSL_REDIRECT",
            "SESSION_COOKIE_SECURE",
            "CSRF_COOKIE_SECURE",
            "SECURE_HSTS_SECONDS",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS",
            "SECURE_HSTS_PRELOAD",
            "SECURE_PROXY_SSL_HEADER",
            "SECURE_REFERRER_POLICY",
            "CSP_POLICY",
            "CSP_REPORT_ONLY",
        )
    }

    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="auditor.example.com",
        **empty,
    )
    values = print_settings("CSP_POLICY", "CSP_REPORT_ONLY", DEBUG="false", SECRET_KEY="x" * 60, **empty)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "script-src 'self'" in values["CSP_POLICY"]
    assert values["CSP_REPORT_ONLY"] == "False"
