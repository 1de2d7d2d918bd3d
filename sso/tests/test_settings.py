"""Single sign-on is configured from the environment only (auditor/settings.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json; from django.conf import settings; "
    "print(json.dumps([settings.OIDC_ENABLED, settings.AUTHENTICATION_BACKENDS, "
    "settings.OIDC_BREAK_GLASS_USERS]))"
)


def load_settings(**variables: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OIDC_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env.update({"SECRET_KEY": "x", "DJANGO_SETTINGS_MODULE": "auditor.settings", **variables})
    return subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_sso_is_off_without_a_client_id():
    enabled, backends, _ = json.loads(load_settings().stdout)
    assert not enabled
    assert backends == ["auditor.auth.LoginThrottleBackend", "django.contrib.auth.backends.ModelBackend"]


def test_oidc_only_swaps_the_password_backend_for_the_break_glass_one():
    done = load_settings(
        OIDC_RP_CLIENT_ID="auditor",
        OIDC_RP_CLIENT_SECRET="s3cret",  # noqa: S106  # pragma: allowlist secret
        OIDC_OP_DISCOVERY="https://idp.example.com/realms/main",
        OIDC_ONLY="true",
        OIDC_BREAK_GLASS_USERS="root,ops",
    )
    enabled, backends, break_glass = json.loads(done.stdout)
    assert enabled and break_glass == ["root", "ops"]
    assert backends == [
        "auditor.auth.LoginThrottleBackend",  # axes first, still
        "sso.backends.BreakGlassBackend",
        "sso.backends.OidcBackend",
    ]


def test_incomplete_sso_settings_are_refused_with_a_clear_message():
    no_secret = load_settings(OIDC_RP_CLIENT_ID="auditor", OIDC_OP_DISCOVERY="https://idp.example.com")
    assert no_secret.returncode != 0 and "set OIDC_RP_CLIENT_SECRET too" in no_secret.stderr
    no_provider = load_settings(OIDC_RP_CLIENT_ID="auditor", OIDC_RP_CLIENT_SECRET="x")
    assert "set OIDC_OP_DISCOVERY" in no_provider.stderr
    only_alone = load_settings(OIDC_ONLY="true")
    assert "OIDC_ONLY is on but OIDC is not configured" in only_alone.stderr
