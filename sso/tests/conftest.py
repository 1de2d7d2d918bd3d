"""A real OpenID Connect provider for the single sign-on tests (sso/tests/provider/), started in
a process of its own on a free port, with an RSA key generated for the run; and the auditor
settings that point at it."""

from __future__ import annotations

import html
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sso import config

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "auditor-tests"
CLIENT_SECRET = "provider-secret-for-tests-only"  # noqa: S105  # pragma: allowlist secret
PROVIDER_PASSWORD = "provider-pass-1234"  # noqa: S105  # pragma: allowlist secret
ROLE_MAP = "auditor-admins=Admin,leads=Tech lead,managers=Manager,auditors=Auditor"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Provider:
    url: str
    users_file: Path

    @property
    def issuer(self) -> str:
        return f"{self.url}/o"

    def set_users(self, users: dict[str, dict]) -> None:
        """username -> {"email": ..., "claims": {...}}; the provider reads it at each token."""
        entries = {name: {"password": PROVIDER_PASSWORD, **entry} for name, entry in users.items()}
        self.users_file.write_text(json.dumps(entries), encoding="utf-8")


USERS = {
    "alice": {"email": "alice@example.com", "claims": {"groups": ["leads"], "projects": ["alpha"]}},
    "bob": {"email": "bob@example.com", "claims": {"groups": ["managers"]}},
    "carol": {"email": "carol@example.com", "claims": {"groups": ["auditor-admins"]}},
}


@pytest.fixture(scope="session")
def provider(live_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("provider")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = folder / "key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    port = free_port()
    found = Provider(url=f"http://127.0.0.1:{port}", users_file=folder / "users.json")
    found.set_users(USERS)
    env = {
        **os.environ,
        "PROVIDER_DB": str(folder / "provider.sqlite3"),
        "PROVIDER_USERS_FILE": str(found.users_file),
        "PROVIDER_RSA_KEY_FILE": str(key_file),
        "PROVIDER_CLIENT": json.dumps(
            {
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "redirect_uri": f"{live_server.url}/oidc/callback/",
                "post_logout_redirect_uri": f"{live_server.url}/admin/login/",
            }
        ),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "sso.tests.provider.serve", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.strip() == "ready", f"the test provider did not start (exit {process.poll()})"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{found.issuer}/.well-known/openid-configuration", timeout=2).raise_for_status()
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield found
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def sso_settings(settings):
    """auditor's single sign-on settings, as the environment would set them (docs/sso.md)."""
    config.forget_discovery()
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_PROJECTS_CLAIM = "projects"
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "sso.backends.OidcBackend"]
    yield settings
    config.forget_discovery()


@pytest.fixture
def sso_on(sso_settings, provider):
    """Single sign-on against the running provider; cookies over plain http (the live server)."""
    sso_settings.OIDC_OP_DISCOVERY = provider.issuer
    sso_settings.SESSION_COOKIE_SECURE = False
    sso_settings.CSRF_COOKIE_SECURE = False
    provider.set_users(USERS)
    return sso_settings


def form_field(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert match, f"no field {name} in the page"
    return html.unescape(match.group(1))
