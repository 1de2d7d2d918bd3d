"""Every admin page renders for the right people, and only for them."""

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistItemHistory,
    ChecklistTemplate,
    ChecklistTemplateItem,
    ReminderDelivery,
)
from findings.models import ApiToken, Finding, ImportRun
from projects.models import Audit, DomainScore, MaturityDomain

OUR_APPS = {"projects", "findings", "checklists"}


def make_rows(project, owner, domain, suffix=""):
    """One row of every model of ours, belonging to `project`."""
    audit = Audit.objects.create(project=project, title=f"Audit{suffix}", global_score=Decimal("6.5"))
    DomainScore.objects.create(audit=audit, domain=domain, score=Decimal("5"))
    finding = Finding.objects.create(
        project=project,
        title=f"Finding{suffix}",
        fingerprint=f"fp{suffix}",
        domain=domain,
        first_seen_audit=audit,
    )
    ImportRun.objects.create(project=project, audit=audit, format="bandit", status="succeeded")
    ApiToken.objects.create(
        project=project,
        name=f"CI{suffix}",
        prefix="abc",
        token_hash=hashlib.sha256(f"{project.pk}{suffix}".encode()).hexdigest(),
    )
    template = ChecklistTemplate.objects.create(name=f"Deploy{suffix}", slug=f"deploy{suffix}")
    ChecklistTemplateItem.objects.create(template=template, text="Enable HTTPS", domain=domain)
    checklist = Checklist.objects.create(
        project=project,
        title=f"Checklist{suffix}",
        owner=owner,
        template=template,
        due_date=dt.date(2030, 1, 1),
    )
    item = ChecklistItem.objects.create(checklist=checklist, text="Enable HTTPS", domain=domain)
    ChecklistItemHistory.objects.create(item=item, user=owner, from_state="todo", to_state="done")
    ReminderDelivery.objects.get_or_create(owner=owner, day=dt.date(2030, 1, 1))
    return {"audit": audit, "finding": finding, "checklist": checklist, "item": item}


@pytest.fixture
def world(project, other_project, tech_lead, other_tech_lead, security):
    ours = make_rows(project, tech_lead, security)
    theirs = make_rows(other_project, other_tech_lead, security, suffix="-other")
    return {"ours": ours, "theirs": theirs}


def admin_urls(model):
    info = model._meta.app_label, model._meta.model_name
    return f"admin:{info[0]}_{info[1]}_changelist", f"admin:{info[0]}_{info[1]}_change"


def test_every_admin_changelist_add_and_change_form_renders_for_the_admin(client, admin, world):
    client.force_login(admin)
    for model, model_admin in admin_registry():
        changelist, change = admin_urls(model)
        response = client.get(reverse(changelist))
        assert response.status_code == 200, f"{model.__name__} changelist: {response.status_code}"
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            response = client.get(reverse(change, args=[obj.pk]))
            assert response.status_code == 200, f"{model.__name__} change form"
        if model_admin.has_add_permission(request_for(admin)):
            add = changelist.replace("_changelist", "_add")
            assert client.get(reverse(add)).status_code == 200, f"{model.__name__} add form"


def admin_registry():
    return list(admin.site._registry.items())


def request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def test_a_tech_lead_sees_every_page_of_their_own_project(client, tech_lead, world, project):
    client.force_login(tech_lead)
    ours = world["ours"]
    for model, obj in [
        ("projects.project", project),
        ("projects.audit", ours["audit"]),
        ("findings.finding", ours["finding"]),
        ("checklists.checklist", ours["checklist"]),
    ]:
        app_label, model_name = model.split(".")
        changelist = reverse(f"admin:{app_label}_{model_name}_changelist")
        response = client.get(changelist)
        assert response.status_code == 200, model
        label = getattr(obj, "title", None) or obj.name
        assert label in response.content.decode(), model
        change = reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk])
        assert client.get(change).status_code == 200, model


def test_a_tech_lead_does_not_see_other_projects_in_lists(client, tech_lead, world):
    client.force_login(tech_lead)
    for url_name, hidden in [
        ("admin:projects_project_changelist", "AetherFlow"),
        ("admin:findings_finding_changelist", "Finding-other"),
        ("admin:checklists_checklist_changelist", "Checklist-other"),
        ("admin:projects_audit_changelist", "Audit-other"),
    ]:
        content = client.get(reverse(url_name)).content.decode()
        assert hidden not in content, url_name


def test_a_tech_lead_gets_403_on_another_projects_checklist(client, tech_lead, world):
    client.force_login(tech_lead)
    theirs = world["theirs"]["checklist"]
    url = reverse("admin:checklists_checklist_change", args=[theirs.pk])

    assert client.get(url).status_code == 403


def test_a_tech_lead_cannot_tick_an_item_of_another_projects_checklist_by_post(client, tech_lead, world):
    client.force_login(tech_lead)
    theirs = world["theirs"]["checklist"]
    item = world["theirs"]["item"]
    url = reverse("admin:checklists_checklist_change", args=[theirs.pk])
    data = {
        "project": theirs.project_id,
        "title": theirs.title,
        "owner": tech_lead.pk,
        "due_date": "2030-01-01",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "1",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "1000",
        "items-0-id": item.pk,
        "items-0-checklist": theirs.pk,
        "items-0-state": "done",
        "items-0-note": "",
        "items-0-evidence_url": "",
    }

    assert client.post(url, data).status_code == 403
    item.refresh_from_db()
    assert item.state == "todo"
    assert item.checked_by is None


def test_a_tech_lead_gets_403_on_another_projects_finding_and_audit(client, tech_lead, world):
    client.force_login(tech_lead)
    theirs = world["theirs"]
    for url in [
        reverse("admin:findings_finding_change", args=[theirs["finding"].pk]),
        reverse("admin:projects_audit_change", args=[theirs["audit"].pk]),
    ]:
        assert client.get(url).status_code == 403, url


def test_a_tech_lead_can_change_the_status_of_their_findings_but_nothing_else(client, tech_lead, world):
    client.force_login(tech_lead)
    finding = world["ours"]["finding"]
    url = reverse("admin:findings_finding_change", args=[finding.pk])

    response = client.post(url, {"status": "in_progress", "assignee": "", "title": "Renamed"})

    assert response.status_code == 302, response.content.decode()[:2000]
    finding.refresh_from_db()
    assert finding.status == "in_progress"
    assert finding.title == "Finding"


def test_a_manager_sees_everything(client, manager, world):
    client.force_login(manager)
    for obj, url_name in [
        (world["theirs"]["checklist"], "admin:checklists_checklist_change"),
        (world["ours"]["finding"], "admin:findings_finding_change"),
        (world["theirs"]["audit"], "admin:projects_audit_change"),
    ]:
        assert client.get(reverse(url_name, args=[obj.pk])).status_code == 200


def test_a_manager_cannot_save_anything(client, manager, world, project, security):
    client.force_login(manager)
    checklist = world["ours"]["checklist"]
    attempts = [
        (
            reverse("admin:projects_project_change", args=[project.pk]),
            {"name": "Hijacked", "slug": project.slug},
        ),
        (reverse("admin:projects_project_add"), {"name": "New", "slug": "new"}),
        (
            reverse("admin:findings_finding_change", args=[world["ours"]["finding"].pk]),
            {"status": "false_positive"},
        ),
        (
            reverse("admin:checklists_checklist_change", args=[checklist.pk]),
            {"title": "Hijacked", "project": project.pk},
        ),
        (
            reverse("admin:projects_maturitydomain_change", args=[security.pk]),
            {"name": "Security", "slug": "security", "weight": "9"},
        ),
        (reverse("admin:projects_audit_delete", args=[world["ours"]["audit"].pk]), {"post": "yes"}),
    ]
    for url, data in attempts:
        assert client.post(url, data).status_code == 403, url
    project.refresh_from_db()
    assert project.name == "Champion Clone"
    assert Audit.objects.filter(pk=world["ours"]["audit"].pk).exists()
    assert MaturityDomain.objects.get(pk=security.pk).weight == Decimal("1.50")


def test_an_auditor_can_create_an_audit(client, auditor_user, project):
    client.force_login(auditor_user)
    data = {
        "project": project.pk,
        "title": "Security review",
        "kind": "manual",
        "audit_date": "2026-01-15",
        "status": "draft",
        "stated_verdict": "unknown",
        "extra_metrics": "{}",
        "domain_scores-TOTAL_FORMS": "0",
        "domain_scores-INITIAL_FORMS": "0",
        "domain_scores-MIN_NUM_FORMS": "0",
        "domain_scores-MAX_NUM_FORMS": "1000",
    }
    response = client.post(reverse("admin:projects_audit_add"), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Audit.objects.get(title="Security review").valid_until == dt.date(2026, 4, 15)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:findings_finding_changelist",
        "admin:projects_audit_changelist",
        "admin:checklists_checklist_changelist",
        "admin:projects_project_changelist",
    ],
)
def test_changelist_query_count_does_not_grow_with_rows(
    client, admin, tech_lead, security, project, url_name
):
    client.force_login(admin)
    make_rows(project, tech_lead, security, suffix="-1")
    cache.clear()  # both measured requests fill the same caches (the findings tool filter)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(url_name)).status_code == 200
    for n in range(2, 12):
        make_rows(project, tech_lead, security, suffix=f"-{n}")
    cache.clear()
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(url_name)).status_code == 200

    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
