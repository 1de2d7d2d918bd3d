"""docs/permissions.md, "Single sign-on (OIDC on)", checked cell by cell."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.test_permissions_matrix import ROLES, answer, table

SSO_ROWS = table("## Single sign-on (OIDC on)")
IDP = "https://idp.example.com"


@pytest.fixture
def sso_endpoints(sso_settings):
    for name, path in (
        ("AUTHORIZATION", "authorize"),
        ("TOKEN", "token"),
        ("USER", "userinfo"),
        ("JWKS", "jwks"),
        ("LOGOUT", "logout"),
    ):
        setattr(sso_settings, f"OIDC_OP_{name}_ENDPOINT", f"{IDP}/{path}")
    sso_settings.OIDC_OP_ISSUER = IDP
    return sso_settings


def client_as(user):
    client = Client()
    if user is not None:
        client.force_login(user, backend="sso.backends.OidcBackend")
        session = client.session
        session["oidc_id_token"] = "an.id.token"
        session.save()
    return client


@pytest.mark.parametrize("row", SSO_ROWS, ids=[row[0] for row in SSO_ROWS])
def test_sso_cell(row, sso_endpoints, admin, tech_lead, manager, auditor_user):
    request, *expected = row
    method, url = request.split(" ")[:2]
    users = {
        "anonymous": None,
        "lead_own": tech_lead,
        "lead_other": tech_lead,
        "manager": manager,
        "auditor": auditor_user,
        "admin": admin,
    }
    actual = {}
    for role in ROLES:
        client = client_as(users[role])
        response = client.get(url) if method == "GET" else client.post(url)
        actual[role] = answer(response)
        if response.status_code == 302 and url == "/oidc/authenticate/":
            assert response["Location"].startswith(f"{IDP}/authorize?")
        if url == "/admin/logout/":
            assert "_auth_user_id" not in client.session
            onwards = f'href="{IDP}/logout?id_token_hint=an.id.token&amp;'
            assert (onwards in response.content.decode()) == (users[role] is not None)

    assert actual == dict(zip(ROLES, expected, strict=True))
