"""Swagger UI and Redoc render in Chromium under the production Content-Security-Policy, from
auditor's own static files, without one violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live import LiveServer, live_database_url
from tests.test_csp_browser import CHROMIUM, CHROMIUM_ARGS, RECORD_VIOLATIONS

READERS = {
    "/api/v1/docs/": ".swagger-ui .opblock",  # an operation of the schema, rendered
    "/api/v1/redoc/": "[data-section-id]",  # a section of the schema, rendered
}


@pytest.mark.slow
@pytest.mark.postgresql
@pytest.mark.browser
def test_the_api_readers_render_without_a_csp_violation(
    transactional_db, collected_static, admin, monkeypatch
):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with (
        LiveServer(
            static_root=collected_static, database_url=live_database_url(), broker_url="redis://127.0.0.1:9/0"
        ) as server,
        sync_playwright() as playwright,
    ):
        base = f"http://127.0.0.1:{server.port}"
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.add_init_script(RECORD_VIOLATIONS)
        server.login_as(admin)
        context.add_cookies([{"name": "sessionid", "value": server.cookies["sessionid"], "url": base}])
        page = context.new_page()
        console: list[str] = []
        outside: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:")) else None)
        violations = {}
        for path, rendered in READERS.items():
            response = page.goto(base + path, wait_until="load")
            assert response.status == 200, (path, response.status)
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_selector(rendered, timeout=20_000)
            page.wait_for_timeout(300)
            if found := page.evaluate("window.__cspViolations"):
                violations[path] = found
        browser.close()

    assert violations == {}, violations
    assert not [line for line in console if "Content Security Policy" in line], console
    assert outside == [], outside
