"""A checklist of thousands of items (as a hostile report could create) no longer renders every
item form on its change page: a page of CHECKLIST_INLINE_MAX_ITEMS items, with links to the
others; saving changes only the items shown. Checklist templates page the same way."""

from __future__ import annotations

import re
import time

import pytest

from checklists.models import ChecklistItem, ChecklistTemplate, ChecklistTemplateItem, ItemState
from tests.hostile.forms import change_form_data
from tests.hostile.helpers import assert_no_crash

ITEMS = 3_000


@pytest.fixture
def big_checklist(world):
    checklist = world["checklist"]
    ChecklistItem.objects.bulk_create(
        ChecklistItem(checklist=checklist, order=10 + i, text=f"Item {i}") for i in range(ITEMS)
    )
    return checklist


def total_forms(html: str, prefix: str) -> int:
    return int(re.search(rf'name="{prefix}-TOTAL_FORMS" value="(\d+)"', html).group(1))


def test_the_change_page_of_a_huge_checklist_shows_one_page_of_items(logged_in, big_checklist, settings):
    url = f"/admin/checklists/checklist/{big_checklist.pk}/change/"
    started = time.perf_counter()
    response = logged_in.get(url)
    elapsed = time.perf_counter() - started
    html = assert_no_crash(response)
    assert response.status_code == 200
    assert total_forms(html, "items") == settings.CHECKLIST_INLINE_MAX_ITEMS == 100
    assert f"Items 1–100 of {ITEMS + 1}" in html and "?items_page=2" in html
    assert elapsed < 15  # every item rendered took minutes and a worker with it

    last = logged_in.get(f"{url}?items_page=31")
    assert total_forms(last.content.decode(), "items") == ITEMS + 1 - 30 * 100
    # A page past the end shows the last page; a page that is not an ASCII number the first.
    assert "Items 3001–3001" in logged_in.get(f"{url}?items_page=999").content.decode()
    for bad in ("²", "١", "-1", "9" * 30, "x"):
        page = assert_no_crash(logged_in.get(url, {"items_page": bad}))
        assert "Items 1–100" in page or "number out of range" in page


def test_saving_a_page_changes_only_its_items(logged_in, big_checklist):
    url = f"/admin/checklists/checklist/{big_checklist.pk}/change/?items_page=2"
    data = change_form_data(logged_in.get(url))
    shown = [key for key in data if key.startswith("items-") and key.endswith("-id")]
    assert len(shown) == 100
    first = shown[0].removesuffix("-id")
    data[f"{first}-state"] = ItemState.DONE
    response = logged_in.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    done = ChecklistItem.objects.filter(checklist=big_checklist, state=ItemState.DONE)
    assert list(done.values_list("pk", flat=True)) == [int(data[f"{first}-id"])]


def test_a_huge_template_pages_its_items_too(logged_in, world, settings):
    settings.CHECKLIST_INLINE_MAX_ITEMS = 50
    template = ChecklistTemplate.objects.create(slug="huge", name="Huge")
    ChecklistTemplateItem.objects.bulk_create(
        ChecklistTemplateItem(template=template, order=i, text=f"T {i}") for i in range(120)
    )
    html = assert_no_crash(logged_in.get(f"/admin/checklists/checklisttemplate/{template.pk}/change/"))
    assert total_forms(html, "items") == 50
    assert "Items 1–50 of 120" in html


def test_a_checklist_cannot_start_from_a_template_over_the_item_limit(logged_in, world, settings):
    from checklists.models import Checklist

    template = ChecklistTemplate.objects.get(slug="deployment")
    settings.CHECKLIST_MAX_ITEMS = template.items.count() - 1
    before = Checklist.objects.count()
    response = logged_in.post(
        "/admin/checklists/checklist/start/",
        {"projects": [world["project"].pk], "template": template.pk, "due_date": ""},
    )
    assert_no_crash(response)
    assert "CHECKLIST_MAX_ITEMS" in str(response.context["form"].errors["template"])
    assert Checklist.objects.count() == before
