"""Ticking an item in the admin stamps who and when; nobody types those by hand."""

import pytest
from django.urls import reverse
from django.utils import timezone

from auditor.testing import admin_form_data
from checklists.models import Checklist, ChecklistItem


@pytest.fixture
def checklist(project, tech_lead):
    checklist = Checklist.objects.create(project=project, title="Deployment", owner=tech_lead)
    for order, text in enumerate(["Set DEBUG=false", "Enable HTTPS", "Configure backups"]):
        ChecklistItem.objects.create(checklist=checklist, order=order, text=text)
    return checklist


def item_prefix(data, item):
    return next(k[: -len("-id")] for k, v in data.items() if k.endswith("-id") and v == str(item.pk))


def test_ticking_an_item_records_who_and_when(client, tech_lead, checklist):
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_change", args=[checklist.pk])
    data = admin_form_data(client.get(url))
    https = checklist.items.get(text="Enable HTTPS")
    prefix = item_prefix(data, https)
    data[f"{prefix}-state"] = "done"
    data[f"{prefix}-note"] = "HSTS header seen on https://example.com"
    before = timezone.now()

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    https.refresh_from_db()
    assert https.state == "done"
    assert https.checked_by == tech_lead
    assert before <= https.checked_at <= timezone.now()
    untouched = checklist.items.get(text="Set DEBUG=false")
    assert untouched.checked_by is None and untouched.checked_at is None


def test_checked_by_and_checked_at_cannot_be_typed_in_the_form(client, tech_lead, other_tech_lead, checklist):
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_change", args=[checklist.pk])
    data = admin_form_data(client.get(url))
    item = checklist.items.first()
    prefix = item_prefix(data, item)
    data[f"{prefix}-checked_by"] = str(other_tech_lead.pk)
    data[f"{prefix}-checked_at"] = "2001-01-01 00:00:00"

    client.post(url, data)

    item.refresh_from_db()
    assert item.checked_by is None
    assert item.checked_at is None
