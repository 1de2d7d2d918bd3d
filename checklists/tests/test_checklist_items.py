"""Filling items in: N/A needs a justification, every state change is kept as history, and a
tech lead cannot tick an item of another project's checklist."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from auditor.testing import admin_form_data
from checklists.models import ChecklistItem, ChecklistItemHistory
from checklists.services import checklist_item_set_state


@pytest.fixture
def checklist(make_checklist, project, tech_lead):
    return make_checklist(project, owner=tech_lead, items=[("todo", True), ("todo", False)])


def item_prefix(data, item):
    return next(k[: -len("-id")] for k, v in data.items() if k.endswith("-id") and v == str(item.pk))


def test_not_applicable_without_justification_is_refused_by_the_service(checklist, tech_lead):
    item = checklist.items.first()
    with pytest.raises(ValidationError, match="justification"):
        checklist_item_set_state(item=item, state="na", user=tech_lead, note="  ")
    item.refresh_from_db()
    assert item.state == "todo"
    assert not ChecklistItemHistory.objects.exists()


def test_the_database_itself_refuses_not_applicable_without_a_note(checklist):
    with pytest.raises(IntegrityError), transaction.atomic():
        ChecklistItem.objects.filter(pk=checklist.items.first().pk).update(state="na", note="")


def test_every_state_change_writes_one_history_row(checklist, tech_lead, admin):
    item = checklist.items.first()
    checklist_item_set_state(item=item, state="done", user=tech_lead, note="Seen in CI run 42")
    checklist_item_set_state(item=item, state="done", user=tech_lead, note="same state")
    checklist_item_set_state(item=item, state="na", user=admin, note="Service has no UI")
    checklist_item_set_state(item=item, state="todo", user=tech_lead)

    rows = list(
        ChecklistItemHistory.objects.filter(item=item)
        .order_by("id")
        .values_list("user__username", "from_state", "to_state", "note")
    )
    assert rows == [
        ("lead", "todo", "done", "Seen in CI run 42"),
        ("root", "done", "na", "Service has no UI"),
        ("lead", "na", "todo", "Service has no UI"),
    ]
    item.refresh_from_db()
    assert item.checked_by == tech_lead


def test_the_admin_form_refuses_not_applicable_without_justification(client, tech_lead, checklist):
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_change", args=[checklist.pk])
    data = admin_form_data(client.get(url))
    item = checklist.items.first()
    data[f"{item_prefix(data, item)}-state"] = "na"

    response = client.post(url, data)

    assert response.status_code == 200
    assert "needs a justification" in response.content.decode()
    item.refresh_from_db()
    assert item.state == "todo"
    assert not ChecklistItemHistory.objects.exists()


def test_the_admin_form_writes_history_and_shows_it_on_the_page(
    client, tech_lead, checklist, django_assert_max_num_queries
):
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_change", args=[checklist.pk])
    data = admin_form_data(client.get(url))
    first, second = checklist.items.order_by("order")
    data[f"{item_prefix(data, first)}-state"] = "done"
    data[f"{item_prefix(data, first)}-evidence_url"] = "https://ci.example.com/runs/42"
    data[f"{item_prefix(data, second)}-state"] = "na"
    data[f"{item_prefix(data, second)}-note"] = "No containers in this service"

    assert client.post(url, data).status_code == 302

    history = list(
        ChecklistItemHistory.objects.order_by("item__order").values_list(
            "item_id", "user__username", "from_state", "to_state"
        )
    )
    assert history == [(first.pk, "lead", "todo", "done"), (second.pk, "lead", "todo", "na")]
    with django_assert_max_num_queries(25):
        page = client.get(url).content.decode()
    assert "No containers in this service" in page
    assert "History" in page


def test_the_change_page_groups_items_by_section_with_guidance(
    client, tech_lead, project, deployment_template
):
    from checklists.services import checklist_start

    checklist = checklist_start(project=project, template=deployment_template)
    client.force_login(tech_lead)
    page = client.get(reverse("admin:checklists_checklist_change", args=[checklist.pk]))
    html = page.content.decode()
    assert html.count('class="checklist-section"') == 4
    first = deployment_template.items.order_by("order").first()
    assert first.guidance.split("(")[0].strip() in html
    assert "CRITICAL" in html


def test_a_tech_lead_cannot_open_or_post_another_projects_checklist(
    client, tech_lead, other_tech_lead, other_project, make_checklist
):
    theirs = make_checklist(other_project, owner=other_tech_lead)
    url = reverse("admin:checklists_checklist_change", args=[theirs.pk])
    client.force_login(other_tech_lead)
    data = admin_form_data(client.get(url))
    item = theirs.items.first()
    data[f"{item_prefix(data, item)}-state"] = "done"

    client.force_login(tech_lead)
    assert client.get(url).status_code == 403
    assert client.post(url, data).status_code == 403

    item.refresh_from_db()
    assert item.state == "todo"
    assert not ChecklistItemHistory.objects.exists()


def test_an_item_of_another_project_smuggled_into_my_checklist_form_is_not_changed(
    client, tech_lead, checklist, other_project, make_checklist
):
    theirs = make_checklist(other_project).items.first()
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_change", args=[checklist.pk])
    data = admin_form_data(client.get(url))
    prefix = item_prefix(data, checklist.items.first())
    data[f"{prefix}-id"] = str(theirs.pk)
    data[f"{prefix}-state"] = "done"

    client.post(url, data)

    theirs.refresh_from_db()
    assert theirs.state == "todo"
    assert not ChecklistItemHistory.objects.filter(item=theirs).exists()


def test_only_admins_may_delete_a_checklist(client, tech_lead, admin, checklist):
    url = reverse("admin:checklists_checklist_delete", args=[checklist.pk])
    client.force_login(tech_lead)
    assert client.post(url, {"post": "yes"}).status_code == 403
    client.force_login(admin)
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not ChecklistItem.objects.exists()


def test_a_checklist_cannot_be_attached_to_an_audit_of_another_project(
    client, admin, checklist, other_project
):
    from projects.models import Audit

    foreign = Audit.objects.create(project=other_project, title="Their audit")
    client.force_login(admin)
    url = reverse("admin:checklists_checklist_change", args=[checklist.pk])
    data = admin_form_data(client.get(url))
    data["audit"] = str(foreign.pk)

    response = client.post(url, data)

    assert response.status_code == 200
    assert "belongs to AetherFlow" in response.content.decode()
    checklist.refresh_from_db()
    assert checklist.audit is None


def test_a_tech_lead_cannot_move_a_checklist_to_another_project(client, tech_lead, checklist, other_project):
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_change", args=[checklist.pk])
    data = admin_form_data(client.get(url))
    data["project"] = str(other_project.pk)

    response = client.post(url, data)

    assert response.status_code == 200 and "project" in response.context["adminform"].form.errors
    checklist.refresh_from_db()
    assert checklist.project_id != other_project.pk
