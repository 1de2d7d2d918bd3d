"""The project and audit pages (and the tech lead's queue) fit a phone: at 400 px nothing
widens the page (wide tables scroll inside their card, charts shrink to their card), and at
1,400 px the layout is intact.

Checked in headless Chromium; screenshots go to var/screenshots/ (see test_browser.py).
"""

from __future__ import annotations

import pytest

from conftest import make_user
from dashboard.tests.test_browser import browser_page, log_in, shots  # noqa: F401 (fixtures)
from projects import access
from tests.pages_data import build_project

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Elements wider than the viewport, for the failure message: the culprit, not just "too wide".
WIDEST = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .filter((el) => el.closest(".table-scroll, .chart") === null)
    .slice(0, 8)
    .map((el) => `${el.tagName}.${el.className} right=${Math.round(el.getBoundingClientRect().right)}`);
}"""


def _fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(100)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, (scroll_width, page.evaluate(WIDEST))


def test_project_and_audit_pages_fit_400_and_1400_pixels(live_server, browser_page, shots):  # noqa: F811
    page = browser_page
    lead = make_user("lead", access.TECH_LEAD, first_name="Linus")
    project = build_project(1, lead=lead, findings=12, checklist_items=6)
    audit = project.audits.order_by("-audit_date", "-id").first()
    log_in(page, live_server, "lead", project.get_absolute_url())

    pages = (
        (project.get_absolute_url(), "project"),
        (f"/audits/{audit.pk}/", "audit"),
        ("/my/items/", "queue"),
    )
    for url, name in pages:
        page.goto(f"{live_server.url}{url}")
        for width in (400, 1400):
            _fits(page, width)
            page.screenshot(path=shots / f"responsive-{name}-{width}.png", full_page=True)
        # The charts are drawn to their card's width, not to a fixed pixel size.
        page.set_viewport_size({"width": 400, "height": 900})
        for svg in page.locator(".chart svg").all():
            box = svg.bounding_box()
            assert box is not None and box["width"] <= 400, (name, box)
        # A wide table scrolls inside its card: the card is no wider than the screen.
        for wrap in page.locator(".table-scroll").all():
            assert wrap.bounding_box()["width"] <= 400
    assert page.console_errors == [], page.console_errors
