"""The tech lead's queue in headless Chromium, interactions counted.

An interaction is what a person does: a click, a key pressed, or a text typed into a field
(typing a whole note counts once). Opening the page and logging in are not counted.

1. Filling a 40-item checklist from the queue takes at most 2 interactions per item, with no
   page load after the first (each answer is a fetch; focus moves to the next item).
2. The second audit of a demo project, started from the first, needs at most 30% of the
   interactions the first needed: go to the project page (portfolio, project), start it, tick
   every carried answer, confirm them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.html import escape

from checklists import services
from checklists.models import Checklist, ChecklistItem, ChecklistTemplate, ItemState
from checklists.review import SUBMITTER_CANNOT_SIGN
from conftest import make_user
from dashboard.tests.test_browser import browser_page, log_in, shots  # noqa: F401 (fixtures)
from projects import access
from projects.models import Audit, MaturityDomain, Project

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


class Counted:
    """The page, with every interaction of the user counted."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def click(self, selector: str) -> None:
        self.count += 1
        self.page.click(selector)

    def press(self, key: str) -> None:
        self.count += 1
        self.page.keyboard.press(key)

    def type(self, selector: str, text: str) -> None:
        self.count += 1
        self.page.fill(selector, text)


def _watch(page) -> tuple[list[str], list[str]]:
    """Page loads of the main frame, and errors (console, CSP, failed requests) of our pages."""
    loads: list[str] = []
    errors: list[str] = []
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on(
        "response",
        lambda response: (
            errors.append(f"{response.status} {response.url}")
            if response.status >= 400 and "/favicon" not in response.url
            else None
        ),
    )
    return loads, errors


def _focused_item(page) -> str | None:
    return page.evaluate(
        "(() => { const li = document.activeElement.closest('.q-item'); return li && li.id; })()"
    )


def answer_the_queue(page, counted: Counted, *, not_applicable_every: int = 0) -> int:
    """Answer every open item shown, from the keyboard: Enter on the focused "Done", or, every
    n-th item, a note typed and "Not applicable" clicked. Returns how many were answered."""
    answered = 0
    while page.locator(".q-item:not(.answered)").count():
        item_id = _focused_item(page)
        assert item_id, "after each answer the focus is on the next open item"
        if not_applicable_every and answered % not_applicable_every == not_applicable_every - 1:
            counted.type(f"#{item_id}-note", "Not relevant: no such component here")
            counted.click(f"#{item_id} button[value=na]")
        else:
            counted.press("Enter")
        page.wait_for_selector(f"#{item_id}.answered")
        answered += 1
    return answered


def test_a_40_item_checklist_takes_at_most_2_interactions_per_item(live_server, browser_page, shots):  # noqa: F811
    page = browser_page
    lead = make_user("lead", access.TECH_LEAD, first_name="Ada")
    project = Project.objects.create(name="Payments", slug="payments", tech_lead=lead)
    domains = list(MaturityDomain.objects.order_by("display_order")[:4])
    checklist = Checklist.objects.create(
        project=project, title="Go-live", owner=lead, due_date=timezone.localdate() + dt.timedelta(days=5)
    )
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            checklist=checklist,
            order=i,
            section=f"Part {i // 10 + 1}",
            text=f"Check number {i + 1}",
            domain=domains[i % 4],
            is_critical=i % 7 == 0,
        )
        for i in range(40)
    )
    log_in(page, live_server, "lead", "/my/items/")
    loads, errors = _watch(page)
    page.wait_for_selector(".q-item details[open]")
    page.screenshot(path=shots / "queue-1-before.png", full_page=True)
    counted = Counted(page)

    answered = answer_the_queue(page, counted, not_applicable_every=8)

    assert answered == 40
    print(
        f"\n40-item checklist from the queue: {counted.count} interactions "
        f"({counted.count / 40:.2f} per item)"
    )
    assert counted.count <= 2 * 40
    assert loads == [], "no page load while answering"
    assert page.locator("#open-count").inner_text() == "0"
    page.screenshot(path=shots / "queue-2-answered.png", full_page=True)
    states = list(checklist.items.values_list("state", flat=True))
    assert states.count(ItemState.NOT_APPLICABLE) == 5 and states.count(ItemState.DONE) == 35
    assert not checklist.items.filter(state=ItemState.NOT_APPLICABLE, note="").exists()
    assert set(checklist.items.values_list("checked_by", flat=True)) == {lead.pk}
    assert errors == [], errors


def test_the_second_audit_started_from_the_first_needs_at_most_30_percent(live_server, browser_page, shots):  # noqa: F811
    page = browser_page
    lead = make_user("lead", access.TECH_LEAD, first_name="Ada")
    project = Project.objects.create(name="Demo shop", slug="demo-shop", tech_lead=lead)
    first = Audit.objects.create(
        project=project, title="First audit", status=Audit.Status.COMPLETED, audit_date=timezone.localdate()
    )
    template = ChecklistTemplate.objects.get(slug="production-readiness")
    checklist = services.checklist_start(project=project, template=template, owner=lead, audit=first)
    size = checklist.items.count()
    log_in(page, live_server, "lead", "/my/items/")
    page.wait_for_selector(".q-item details[open]")

    first_audit = Counted(page)
    assert answer_the_queue(page, first_audit, not_applicable_every=6) == size

    loads, errors = _watch(page)
    second_audit = Counted(page)
    # From the queue to the project page through the portfolio, as a person would.
    second_audit.click(".mainnav >> text=Portfolio")
    second_audit.click("a.project-link:has-text('Demo shop')")
    second_audit.click("#start-next-audit")
    page.wait_for_url("**/my/items/?project=*")
    assert "carried" in page.locator(".messages").inner_text()
    page.screenshot(path=shots / "queue-3-carried.png", full_page=True)
    carried = page.locator(".q-item .flag.carried").count()
    second_audit.click("#select-carried")
    second_audit.click("#bulk-confirm")
    page.wait_for_load_state()
    # Whatever the re-audit could not carry (nothing here: same template) is answered as before.
    answer_the_queue(page, second_audit)
    page.screenshot(path=shots / "queue-4-second-audit-done.png", full_page=True)

    print(
        f"\nFirst audit ({size} items): {first_audit.count} interactions; second audit, started from "
        f"the first: {second_audit.count} ({second_audit.count / first_audit.count:.0%}); {carried} carried"
    )
    assert second_audit.count <= 0.3 * first_audit.count
    second = Audit.objects.filter(project=project).exclude(pk=first.pk).get()
    items = ChecklistItem.objects.filter(checklist__audit=second)
    assert items.count() == size
    assert not items.filter(carried=True).exists()
    assert not items.filter(state=ItemState.TODO).exists()
    previous = dict(checklist.items.values_list("text", "state"))
    assert {item.text: item.state for item in items} == previous
    assert [u for u in loads if "/my/items/" in u], loads
    assert errors == [], errors


def test_a_refused_answer_says_why_in_place_and_the_next_try_goes_through(live_server, browser_page):  # noqa: F811
    page = browser_page
    lead = make_user("lead", access.TECH_LEAD)
    project = Project.objects.create(name="Payments", slug="payments", tech_lead=lead)
    checklist = Checklist.objects.create(project=project, title="Go-live", owner=lead)
    item = ChecklistItem.objects.create(checklist=checklist, text="Card data encrypted at rest")
    ChecklistItem.objects.create(checklist=checklist, order=1, text="Backups restored once")
    log_in(page, live_server, "lead", "/my/items/")
    loads, errors = _watch(page)
    page.wait_for_selector(".q-item details[open]")

    page.click(f"#item-{item.pk} button[value=na]")
    alert = page.locator(f"#item-{item.pk} .q-error")
    alert.wait_for()
    assert "justification" in alert.inner_text()
    assert _focused_item(page) == f"item-{item.pk}"  # the focus stays on the refused item
    page.fill(f"#item-{item.pk}-note", "No card data: payments go through the provider's page")
    page.click(f"#item-{item.pk} button[value=na]")
    page.wait_for_selector(f"#item-{item.pk}.answered")

    item.refresh_from_db()
    assert (item.state, item.note) == ("na", "No card data: payments go through the provider's page")
    assert loads == []
    # The one refused request, nothing else (no CSP report, no script error).
    assert sorted(errors) == [
        f"400 {live_server.url}/my/items/{item.pk}/answer/",
        "Failed to load resource: the server responded with a status of 400 (Bad Request)",
    ], errors


def test_the_submitter_cannot_sign_off_by_the_form_nor_by_a_post(live_server, browser_page, shots):  # noqa: F811
    page = browser_page
    lead = make_user("lead", access.TECH_LEAD)
    make_user("auditor", access.AUDITOR)
    project = Project.objects.create(name="Payments", slug="payments", tech_lead=lead)
    checklist = Checklist.objects.create(project=project, title="Go-live", owner=lead)
    ChecklistItem.objects.bulk_create(
        ChecklistItem(checklist=checklist, order=i, text=f"Check {i}") for i in range(3)
    )
    log_in(page, live_server, "lead", "/my/items/")
    page.wait_for_selector(".q-item details[open]")
    answer_the_queue(page, Counted(page))

    # The lead submits from the project page's link to the review page.
    page.goto(f"{live_server.url}{project.get_absolute_url()}")
    page.click(f"#review-{checklist.pk}")
    page.click("input[value='Submit for review']")
    page.wait_for_load_state()
    checklist.refresh_from_db()
    assert (checklist.review_state, checklist.submitted_by) == ("submitted", lead)

    # By the form: the submitter is offered no "Sign off", and told why.
    assert page.locator("input[value='Sign off']").count() == 0
    assert page.locator(".checklist-four-eyes").inner_text() == SUBMITTER_CANNOT_SIGN
    page.screenshot(path=shots / "review-1-submitter.png", full_page=True)

    # By a POST sent by hand with the submitter's session and CSRF token: refused with the reason.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    review_url = f"{live_server.url}/admin/checklists/checklist/{checklist.pk}/review/"
    response = page.context.request.post(
        review_url,
        form={"csrfmiddlewaretoken": token, "action": "sign_off"},
        headers={"Referer": review_url},
        max_redirects=0,
    )
    assert response.status == 400
    assert escape(SUBMITTER_CANNOT_SIGN) in response.text()
    checklist.refresh_from_db()
    assert (checklist.review_state, checklist.signed_off_by) == ("submitted", None)

    # Someone else (an auditor) signs it off; the queue then shows it read-only.
    page.context.clear_cookies()
    log_in(page, live_server, "auditor", f"/admin/checklists/checklist/{checklist.pk}/review/")
    page.click("input[value='Sign off']")
    page.wait_for_load_state()
    checklist.refresh_from_db()
    assert (checklist.review_state, checklist.signed_off_by.username) == ("signed_off", "auditor")
    page.screenshot(path=shots / "review-2-signed-off.png", full_page=True)
