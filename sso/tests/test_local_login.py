"""Local (password) login with single sign-on on or off: OIDC_ONLY, break-glass, django-axes."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings

from conftest import PASSWORD, make_user
from projects.access import TECH_LEAD

LOGIN = "/admin/login/?next=/admin/"


def attempt(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.fixture
def oidc_only(sso_settings):
    sso_settings.OIDC_OP_DISCOVERY = "http://127.0.0.1:9/o"  # never asked: password logins only
    sso_settings.OIDC_ONLY = True
    sso_settings.OIDC_BREAK_GLASS_USERS = ["root"]
    backends = list(sso_settings.AUTHENTICATION_BACKENDS)
    backends[backends.index("django.contrib.auth.backends.ModelBackend")] = "sso.backends.BreakGlassBackend"
    sso_settings.AUTHENTICATION_BACKENDS = backends
    return sso_settings


@pytest.mark.django_db
def test_without_sso_the_login_page_has_no_provider_button(client):
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert "Sign in with" not in page.content.decode()
    assert 'id="login-form"' in page.content.decode()


@pytest.mark.django_db
def test_with_sso_the_login_page_offers_the_provider_and_keeps_next(client, sso_settings):
    page = client.get("/admin/login/?next=/projects/alpha/").content.decode()
    assert 'href="/oidc/authenticate/?next=/projects/alpha/"' in page
    assert "Sign in with Test IdP" in page
    assert 'id="login-form"' in page  # passwords still work unless OIDC_ONLY
    landing = client.get("/admin/login/").content.decode()
    assert 'href="/oidc/authenticate/?next=/"' in landing  # lands by role (LOGIN_REDIRECT_URL)


@pytest.mark.django_db
def test_oidc_only_refuses_a_local_login(client, oidc_only):
    make_user("lead", TECH_LEAD)
    response = attempt(client, "lead")
    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert "break-glass administrators only" in response.content.decode()


@pytest.mark.django_db
def test_oidc_only_lets_the_break_glass_admin_log_in(client, oidc_only):
    make_user("root", is_superuser=True)
    response = attempt(client, "root")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.session["_auth_user_backend"] == "sso.backends.BreakGlassBackend"
    assert client.get("/admin/auth/user/").status_code == 200  # permissions still read


@pytest.mark.django_db
def test_oidc_only_keeps_permissions_of_provider_users(client, oidc_only, project):
    lead = make_user("lead2", TECH_LEAD)
    project.members.add(lead)
    client.force_login(lead, backend="sso.backends.OidcBackend")
    assert client.get(f"/projects/{project.slug}/").status_code == 200
    assert client.get("/admin/findings/finding/").status_code == 200  # view permission of the role


@pytest.mark.django_db
def test_axes_still_locks_out_local_logins_with_sso_on(client, oidc_only):
    make_user("root", is_superuser=True)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "root", password="wrong-password")
    assert AccessAttempt.objects.get(username="root").failures_since_start == settings.AXES_FAILURE_LIMIT
    response = attempt(client, "root")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_refused_non_break_glass_login_counts_as_a_failure(client, oidc_only):
    make_user("lead", TECH_LEAD)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "lead")
    assert attempt(client, "lead").status_code == 429
