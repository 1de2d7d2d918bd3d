"""The Content-Security-Policy is enforced and the pages satisfy it: headless Chromium opens
every kind of page served by a production-configured gunicorn and records any violation."""

from pathlib import Path

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from checklists.models import Checklist
from findings.models import Finding
from projects.models import Audit
from tests.live import LiveServer, live_database_url
from tests.pages_data import build_project

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' +
                              (e.sourceFile || '') + ':' + (e.lineNumber || ''));
});
"""


@pytest.mark.slow
@pytest.mark.postgresql  # a live gunicorn on the test database (tests/live.py)
@pytest.mark.browser
def test_no_page_violates_the_content_security_policy(transactional_db, collected_static, admin, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    project = build_project(1, lead=admin)
    audit = Audit.objects.filter(project=project).first()
    finding = Finding.objects.filter(project=project).first()
    checklist = Checklist.objects.filter(project=project).first()
    every_minute = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    periodic = PeriodicTask.objects.create(name="CSP check", task="projects.heartbeat", interval=every_minute)
    anonymous_pages = ["/admin/login/"]
    pages = [
        "/maturity/",
        f"/projects/{project.slug}/",
        f"/audits/{audit.pk}/",
        "/admin/",
        "/admin/projects/project/",
        f"/admin/projects/project/{project.pk}/change/",
        f"/admin/projects/audit/{audit.pk}/change/",
        f"/admin/projects/audit/{audit.pk}/history/",
        "/admin/findings/finding/",
        f"/admin/findings/finding/{finding.pk}/change/",
        "/admin/findings/importrun/upload/",
        "/admin/findings/finding/export/",
        "/admin/checklists/checklist/",
        f"/admin/checklists/checklist/{checklist.pk}/change/",
        "/admin/auditlog/logentry/",
        f"/admin/django_celery_beat/periodictask/{periodic.pk}/change/",
    ]

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
        page = context.new_page()
        console = []
        page.on("console", lambda message: console.append(message.text))
        violations = {}

        def visit(path):
            response = page.goto(base + path, wait_until="load")
            assert response.status == 200, (path, response.status)
            assert "default-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_timeout(150)
            found = page.evaluate("window.__cspViolations")
            if found:
                violations[path] = found

        for path in anonymous_pages:
            visit(path)
        server.login_as(admin)
        context.add_cookies([{"name": "sessionid", "value": server.cookies["sessionid"], "url": base}])
        for path in pages:
            visit(path)
        browser.close()

    assert violations == {}, "\n".join(f"{path}: {found}" for path, found in violations.items())
    assert not [line for line in console if "Content Security Policy" in line]
