"""The same sign-in in headless Chromium, with auditor's production cookie settings (Secure,
SameSite=Lax) and its Content-Security-Policy: the button, the provider's form, the landing, and
logout at both ends, with no console or CSP error on auditor's pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User

from projects.access import TECH_LEAD
from projects.models import Project
from projects.roles import sync_roles
from sso.tests.conftest import PROVIDER_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def page(monkeypatch, live_server):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        tab = browser.new_page()
        tab.set_default_timeout(15000)
        tab.errors = []
        tab.on(
            "console",
            lambda m: (
                m.type == "error" and "Failed to load resource" not in m.text and tab.errors.append(m.text)
            ),
        )
        tab.on(
            "response",
            lambda r: (
                r.status >= 400
                and r.url.startswith(live_server.url)
                and tab.errors.append(f"{r.status} {r.url}")
            ),
        )
        yield tab
        browser.close()


def test_a_lead_signs_in_and_out_with_the_provider_in_a_browser(live_server, sso_settings, provider, page):
    sso_settings.OIDC_OP_DISCOVERY = provider.issuer
    sync_roles()
    Project.objects.create(name="Alpha", slug="alpha")

    page.goto(f"{live_server.url}/admin/login/")
    page.click("text=Sign in with Test IdP")
    page.wait_for_url(f"{provider.url}/accounts/login/**")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PROVIDER_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/my/items/")

    alice = User.objects.get(username="alice")
    assert set(alice.groups.values_list("name", flat=True)) == {TECH_LEAD}
    assert list(alice.member_projects.values_list("slug", flat=True)) == ["alpha"]

    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/admin/login/")
    page.goto(f"{live_server.url}/maturity/")
    assert "/admin/login/" in page.url  # the session is gone
    assert page.errors == []
