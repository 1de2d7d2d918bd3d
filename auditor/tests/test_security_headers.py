import pytest
from django.test import override_settings

from conftest import PASSWORD


@pytest.mark.django_db
def test_pages_carry_csp_frame_referrer_and_nosniff_headers(client, admin):
    client.force_login(admin)

    response = client.get("/admin/")

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_login_page_is_served_with_the_policy_too(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    assert "Content-Security-Policy" in response


@pytest.mark.django_db
def test_plain_http_is_redirected_to_https_when_ssl_redirect_is_on(client):
    with override_settings(SECURE_SSL_REDIRECT=True):
        response = client.get("/admin/login/")

    assert response.status_code == 301
    assert response["Location"].startswith("https://")


@pytest.mark.django_db
def test_healthz_stays_reachable_over_plain_http_for_probes(client):
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=[r"^healthz$"]):
        response = client.get("/healthz")

    assert response.status_code in (200, 503)


@pytest.mark.django_db
def test_behind_a_tls_proxy_the_forwarded_proto_header_counts_as_https(client):
    # Pinned: with DEBUG on, settings.py turns HSTS off (SECURE_HSTS_SECONDS=0).
    with override_settings(
        SECURE_SSL_REDIRECT=True,
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
        SECURE_HSTS_SECONDS=31536000,
    ):
        response = client.get("/admin/login/", headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert response["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.django_db
def test_session_and_csrf_cookies_are_http_only(client, admin):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"
