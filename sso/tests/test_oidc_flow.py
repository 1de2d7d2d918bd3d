"""End to end: auditor on a live server, a django-oauth-toolkit provider in its own process,
and an HTTP client with cookies following every redirect (discovery, authorization code with
PKCE, token, ID token checked with RS256 against the provider's JWKS, user info, logout)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.auth.models import User

from projects.access import MANAGER, TECH_LEAD
from projects.models import Project
from projects.roles import sync_roles
from sso.tests.conftest import PROVIDER_PASSWORD, USERS, form_field

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def roles(transactional_db):
    sync_roles()


def sign_in(base: str, username: str, next_url: str = "") -> tuple[requests.Session, requests.Response]:
    """Clicks "Sign in with Test IdP" on auditor's login page and logs in at the provider."""
    browser = requests.Session()
    page = browser.get(f"{base}/admin/login/{next_url and '?next=' + next_url}", timeout=10)
    assert page.status_code == 200
    assert "Sign in with Test IdP" in page.text
    start = browser.get(
        f"{base}/oidc/authenticate/?next={next_url or '/'}", allow_redirects=False, timeout=10
    )
    assert start.status_code == 302
    request = parse_qs(urlparse(start.headers["Location"]).query)
    assert request["code_challenge_method"] == ["S256"] and request["nonce"] and request["state"]
    login_form = browser.get(start.headers["Location"], timeout=10)  # the provider's login page
    assert 'id="provider-login"' in login_form.text
    done = browser.post(
        login_form.url,
        data={
            "csrfmiddlewaretoken": form_field(login_form.text, "csrfmiddlewaretoken"),
            "username": username,
            "password": PROVIDER_PASSWORD,
            "next": form_field(login_form.text, "next"),
        },
        headers={"Referer": login_form.url},
        timeout=30,
    )
    return browser, done


def form_field_href(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}" href="([^"]+)"', page)
    assert match, f"no link {element_id} in the page"
    return html.unescape(match.group(1))


def auditor_cookie(browser: requests.Session, name: str) -> str:
    # The provider (127.0.0.1) sets cookies of the same names as auditor's (localhost).
    return next(c.value for c in browser.cookies if c.name == name and c.domain != "127.0.0.1")


def test_a_lead_signs_in_with_the_provider_and_gets_role_and_project(live_server, sso_on):
    alpha = Project.objects.create(name="Alpha", slug="alpha")
    Project.objects.create(name="Beta", slug="beta")

    browser, landed = sign_in(live_server.url, "alice")

    assert landed.status_code == 200, (landed.url, [r.url for r in landed.history], landed.text[:800])
    assert urlparse(landed.url).path == "/my/items/"  # the tech lead's landing
    user = User.objects.get(oidc_identities__subject__isnull=False, email="alice@example.com")
    assert user.username == "alice"
    assert set(user.groups.values_list("name", flat=True)) == {TECH_LEAD}
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert list(user.member_projects.all()) == [alpha]
    identity = user.oidc_identities.get()
    assert identity.issuer == sso_on.OIDC_OP_DISCOVERY
    # The session is a real one: the project page of the lead's project opens, another's does not.
    assert browser.get(f"{live_server.url}/projects/alpha/", timeout=10).status_code == 200
    assert browser.get(f"{live_server.url}/projects/beta/", timeout=10).status_code == 403


def test_roles_and_projects_are_resynced_at_each_login(live_server, sso_on, provider):
    Project.objects.create(name="Alpha", slug="alpha")
    gamma = Project.objects.create(name="Gamma", slug="gamma")
    sign_in(live_server.url, "alice")
    alice = User.objects.get(username="alice")
    by_hand = Project.objects.create(name="Delta", slug="delta")
    by_hand.members.add(alice)  # granted in the admin: not the provider's to take away

    provider.set_users(
        {
            **USERS,
            "alice": {
                "email": "alice@example.com",
                "claims": {"groups": ["managers", "unknown-team"], "projects": ["gamma", "nope"]},
            },
        }
    )
    _browser, landed = sign_in(live_server.url, "alice")

    assert urlparse(landed.url).path == "/maturity/"  # now a manager: the portfolio
    alice.refresh_from_db()
    assert set(alice.groups.values_list("name", flat=True)) == {MANAGER}
    assert set(alice.member_projects.values_list("slug", flat=True)) == {"gamma", "delta"}
    assert alice.oidc_identities.get().claimed_project_ids == [gamma.pk]
    assert User.objects.filter(username__startswith="alice").count() == 1


def test_an_admin_claim_makes_a_superuser_and_losing_it_demotes(live_server, sso_on, provider):
    _browser, landed = sign_in(live_server.url, "carol")
    assert urlparse(landed.url).path == "/admin/"
    assert User.objects.get(username="carol").is_superuser

    provider.set_users({**USERS, "carol": {"email": "carol@example.com", "claims": {"groups": []}}})
    sign_in(live_server.url, "carol")

    carol = User.objects.get(username="carol")
    assert not carol.is_superuser and not carol.is_staff and not carol.groups.exists()


def test_a_deep_link_is_kept_through_the_provider(live_server, sso_on):
    Project.objects.create(name="Alpha", slug="alpha")
    _browser, landed = sign_in(live_server.url, "alice", next_url="/projects/alpha/")
    assert urlparse(landed.url).path == "/projects/alpha/"


def test_logout_ends_the_auditor_session_and_the_providers(live_server, sso_on, provider):
    browser, _landed = sign_in(live_server.url, "bob")
    assert browser.get(f"{live_server.url}/maturity/", timeout=10).status_code == 200

    out = browser.post(
        f"{live_server.url}/admin/logout/",
        headers={"X-CSRFToken": auditor_cookie(browser, "csrftoken")},
        timeout=10,
    )
    assert out.status_code == 200 and "Logged out of auditor" in out.text
    onwards = form_field_href(out.text, "provider-logout")
    assert f'<meta http-equiv="refresh" content="0;url={html.escape(onwards)}">' in out.text
    to_provider = urlparse(onwards)
    assert f"{to_provider.scheme}://{to_provider.netloc}{to_provider.path}" == f"{provider.issuer}/logout/"
    assert parse_qs(to_provider.query)["id_token_hint"]
    back = browser.get(onwards, timeout=10)

    assert back.url == f"{live_server.url}/admin/login/"
    gone = browser.get(f"{live_server.url}/maturity/", allow_redirects=False, timeout=10)
    assert gone.status_code == 302 and "/admin/login/" in gone.headers["Location"]
    # The provider's session ended too: signing in again asks for the password.
    start = browser.get(f"{live_server.url}/oidc/authenticate/", timeout=10)
    assert 'id="provider-login"' in start.text


def test_a_refused_authorization_shows_a_clear_page(live_server, sso_on):
    browser = requests.Session()
    browser.get(f"{live_server.url}/oidc/authenticate/", allow_redirects=False, timeout=10)
    page = browser.get(
        f"{live_server.url}/oidc/callback/?error=access_denied&error_description=Not+allowed&state=x",
        timeout=10,
    )
    assert page.status_code == 403
    assert "Sign-in failed: the provider answered: access_denied Not allowed" in page.text


def test_a_forged_callback_shows_a_clear_page(live_server, sso_on):
    browser = requests.Session()
    browser.get(f"{live_server.url}/oidc/authenticate/", allow_redirects=False, timeout=10)
    page = browser.get(f"{live_server.url}/oidc/callback/?code=made-up&state=made-up", timeout=10)
    assert page.status_code == 403
    assert "Sign-in failed" in page.text
    assert not User.objects.exists()


def test_a_provider_that_is_down_shows_a_clear_page(live_server, sso_settings):
    sso_settings.OIDC_OP_DISCOVERY = "http://127.0.0.1:9/o"  # nothing listens there
    page = requests.get(f"{live_server.url}/oidc/authenticate/", timeout=30)
    assert page.status_code == 502
    assert "discovery document" in page.text and "could not be read" in page.text
