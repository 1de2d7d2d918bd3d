"""End to end in headless Chromium against a live server on the test database.

1. A tech lead logs into the admin, opens a checklist, ticks two items with evidence, saves and
   sees the progress change (and the project's computed score follow).
2. A manager logs in, opens the portfolio, sorts by score, opens a project, sees the radar and
   the "why" of a domain, and downloads the audit report.

Screenshots of every page go to a folder printed by the tests (var/screenshots/ by default,
AUDITOR_SCREENSHOTS_DIR to change it).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from checklists.models import Checklist, ChecklistItem, ItemState
from conftest import PASSWORD, make_user
from projects import access
from projects.models import DomainScore
from scoring.models import ProjectSummary
from tests.pages_data import build_project

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHROMIUM = "/usr/bin/chromium"
OUR_PAGES = ("/maturity/", "/projects/", "/audits/")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("AUDITOR_SCREENSHOTS_DIR", settings.VAR_DIR / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nScreenshots: {folder}")
    return folder


@pytest.fixture
def browser_page(monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(15000)
        errors: list[str] = []

        def on_console(message):
            if message.type == "error" and urlparse(page.url).path.startswith(OUR_PAGES):
                errors.append(f"{page.url}: {message.text}")

        def on_response(response):
            if response.status >= 400 and urlparse(response.url).path.startswith(OUR_PAGES + ("/static/",)):
                errors.append(f"{response.status} {response.url}")

        page.on("console", on_console)
        page.on("response", on_response)
        # Errors (console, CSP, failed requests) on the pages of this issue; the admin's own
        # pages belong to other modules.
        page.console_errors = errors
        yield page
        browser.close()


def log_in(page, live_server, username, next_url):
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


def test_a_tech_lead_ticks_two_checklist_items_and_sees_progress_change(live_server, browser_page, shots):
    page = browser_page
    lead = make_user("lead", access.TECH_LEAD)
    project = build_project(1, lead=lead, findings=0, checklist_items=0)
    checklist = Checklist.objects.create(project=project, title="Go-live checklist", owner=lead)
    deployment = (
        project.audits.first()
        .domain_scores.model._meta.get_field("domain")
        .related_model.objects.get(slug="deployment")
    )
    for i, text in enumerate(
        ["Set DEBUG=false", "Configure PostgreSQL", "Enable HTTPS", "Back up the database nightly"]
    ):
        ChecklistItem.objects.create(
            checklist=checklist, order=i, section="Go-live", text=text, domain=deployment, is_critical=i == 2
        )
    change_url = f"/admin/checklists/checklist/{checklist.pk}/change/"

    log_in(page, live_server, "lead", change_url)
    progress = page.locator(".field-progress")
    assert "0 / 4" in progress.inner_text()
    page.screenshot(path=shots / "1-checklist-before.png", full_page=True)

    for row, (note, url) in enumerate(
        [
            ("Set in the production env file", "https://ci.example.com/1"),
            ("Managed PostgreSQL 16", "https://ci.example.com/2"),
        ]
    ):
        page.select_option(f"#id_items-{row}-state", ItemState.DONE)
        page.fill(f"#id_items-{row}-note", note)
        page.fill(f"#id_items-{row}-evidence_url", url)
    page.click("input[name=_continue]")
    page.wait_for_load_state()
    assert "0 / 4" not in page.locator(".field-progress").inner_text()
    assert "2 / 4" in page.locator(".field-progress").inner_text()
    page.screenshot(path=shots / "2-checklist-after.png", full_page=True)

    done = ChecklistItem.objects.filter(checklist=checklist, state=ItemState.DONE)
    assert sorted(done.values_list("text", flat=True)) == ["Configure PostgreSQL", "Set DEBUG=false"]
    assert {item.checked_by_id for item in done} == {lead.pk}
    assert done.get(text="Set DEBUG=false").evidence_url == "https://ci.example.com/1"
    # The change reached the scores: the deployment domain is computed from the checklist.
    score = DomainScore.objects.get(audit=project.audits.order_by("-audit_date").first(), domain=deployment)
    assert score.source == DomainScore.Source.COMPUTED
    assert "done: 2 of 4" in score.evidence[1]["label"] or any("2 of 4" in e["label"] for e in score.evidence)

    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    page.locator("#domain-deployment summary").click()
    assert "2 of 4 applicable" in page.locator("#domain-deployment").inner_text()
    page.screenshot(path=shots / "3-project-after-checklist.png", full_page=True)
    assert page.console_errors == [], page.console_errors


def test_a_manager_reads_the_portfolio_a_project_and_downloads_the_audit_report(
    live_server, browser_page, shots, tmp_path
):
    page = browser_page
    make_user("manager", access.MANAGER)
    lead = make_user("lead", access.TECH_LEAD, first_name="Linus")
    for i in range(1, 7):
        build_project(i, lead=lead if i % 2 else None, findings=6 + i)
    best = ProjectSummary.objects.order_by("-global_score", "project__name").first().project

    log_in(page, live_server, "manager", "/maturity/")
    assert page.locator("table.portfolio tbody tr").count() == 6
    page.screenshot(path=shots / "4-portfolio.png", full_page=True)

    page.click("#sort-score")
    page.wait_for_url("**o=-score**")
    first_row = page.locator("table.portfolio tbody tr").first
    assert best.name in first_row.inner_text()
    page.screenshot(path=shots / "5-portfolio-by-score.png", full_page=True)

    first_row.locator("a.project-link").click()
    page.wait_for_url(f"**{best.get_absolute_url()}")
    radar = page.locator("#radar svg.radar")
    assert radar.is_visible()
    assert radar.locator("polygon.radar-current").count() == 1
    why = page.locator("#domain-security details.why")
    why.locator("summary").click()
    assert why.locator(".why-body").is_visible()
    assert "From the evidence alone" in why.inner_text()
    page.screenshot(path=shots / "6-project.png", full_page=True)

    page.click("text=Latest audit report")
    page.wait_for_url("**/audits/**")
    assert page.locator("#gate").is_visible()
    page.screenshot(path=shots / "7-audit-report.png", full_page=True)
    page.emulate_media(media="print")
    # Printed: no navigation or buttons, and every "why" is open on paper.
    assert page.locator("header.topbar").is_hidden()
    assert page.locator("#download-markdown").is_hidden()
    assert page.locator("details.why .why-body").first.is_visible()
    page.screenshot(path=shots / "8-audit-report-print.png", full_page=True)
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.click("#download-markdown")
    download = download_info.value
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = target.read_text(encoding="utf-8")
    latest = best.audits.order_by("-audit_date", "-id").first()
    assert download.suggested_filename.endswith(".md")
    assert latest.title in text
    assert page.console_errors == [], page.console_errors
