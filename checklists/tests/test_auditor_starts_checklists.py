"""Auditors start audits, so they start their checklists: from a template and from the previous
audit (answers carried for the tech lead to re-confirm). Answering items stays the tech lead's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from checklists import services
from checklists.models import Checklist, ChecklistItem
from projects import access
from projects.models import Audit
from projects.roles import sync_roles


@pytest.fixture
def first(project, tech_lead, deployment_template):
    audit = Audit.objects.create(project=project, title="First", status=Audit.Status.COMPLETED)
    checklist = services.checklist_start(
        project=project, template=deployment_template, owner=tech_lead, audit=audit
    )
    item = checklist.items.order_by("order").first()
    services.answer_item(item, user=tech_lead, state="done", evidence_url="https://ci.example/1")
    return checklist


@pytest.mark.django_db
def test_an_auditor_starts_the_next_audit_from_the_previous_one(client, auditor_user, project, first):
    client.force_login(auditor_user)

    response = client.post(reverse("checklists:start-next-audit", args=[project.slug]))

    assert response.status_code == 302
    audit = Audit.objects.exclude(pk=first.audit_id).get(project=project)
    assert (audit.auditor, audit.status) == (auditor_user, Audit.Status.IN_PROGRESS)
    checklist = Checklist.objects.get(audit=audit)
    assert checklist.previous == first
    assert ChecklistItem.objects.filter(checklist=checklist, carried=True, state="done").count() == 1


@pytest.mark.django_db
def test_an_auditor_opens_the_start_form_but_answers_no_item(client, auditor_user, manager, project):
    client.force_login(auditor_user)
    assert client.get(reverse("admin:checklists_checklist_start"), {"project": project.pk}).status_code == 200
    assert not auditor_user.has_perm("checklists.change_checklistitem")
    client.force_login(manager)
    assert client.get(reverse("admin:checklists_checklist_start")).status_code == 403


@pytest.mark.django_db
def test_migrate_grants_it_to_an_existing_auditor_role():
    group = Group.objects.get(name=access.AUDITOR)
    add = Permission.objects.get(content_type__app_label="checklists", codename="add_checklist")
    group.permissions.remove(add)

    assert "Auditor: checklists.add_checklist" in sync_roles()
    assert group.permissions.filter(pk=add.pk).exists()
