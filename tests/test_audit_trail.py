"""The audit trail records who changed what, when, before → after, and cannot be edited."""

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.urls import reverse

from findings.models import ApiToken, Finding
from projects.models import DomainScore


def entries_for(obj):
    return LogEntry.objects.get_for_object(obj).order_by("timestamp", "id")


@pytest.mark.django_db
def test_changing_an_audit_in_the_admin_records_the_user_and_before_and_after(client, admin, audit):
    client.force_login(admin)
    url = reverse("admin:projects_audit_change", args=[audit.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "project": audit.project_id,
            "title": "Backend audit V3",
            "kind": "manual",
            "status": "completed",
            "stated_verdict": "unknown",
            "computed_verdict": "unknown",
            "audit_date": "2026-01-10",
            "extra_metrics": "{}",
            "warnings": "[]",
        }
    )
    for prefix in ("domain_scores",):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})

    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors

    entry = entries_for(audit).last()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == admin
    assert entry.changes_dict["title"] == ["Backend audit V2", "Backend audit V3"]
    assert entry.changes_dict["status"] == ["draft", "completed"]


@pytest.mark.django_db
def test_a_finding_status_change_is_recorded_with_before_and_after(project):
    finding = Finding.objects.create(project=project, title="SQL injection", fingerprint="f1")

    finding.status = Finding.Status.FIXED
    finding.save()

    assert entries_for(finding).last().changes_dict["status"] == ["open", "fixed"]


@pytest.mark.django_db
def test_domain_scores_and_project_schedules_are_recorded(audit, security):
    score = DomainScore.objects.create(audit=audit, domain=security, score="4.0")
    score.score = "6.5"
    score.save()
    project = audit.project
    project.scan_schedule = "0 2 * * *"
    project.save()

    assert entries_for(score).last().changes_dict["score"] == ["4.0", "6.5"]
    assert entries_for(project).last().changes_dict["scan_schedule"] == ["", "0 2 * * *"]


@pytest.mark.django_db
def test_api_token_changes_are_recorded_without_the_secret_hash(project):
    token = ApiToken.objects.create(project=project, name="CI", prefix="abc", token_hash="h" * 64)

    created = entries_for(token).get()
    assert created.action == LogEntry.Action.CREATE
    assert "token_hash" not in created.changes_dict
    assert "hhhh" not in str(created.changes)


@pytest.mark.django_db
def test_bookkeeping_fields_alone_do_not_fill_the_trail(project):
    project.next_scan_at = None
    project.description = "touched by the dispatcher"
    before = LogEntry.objects.count()

    project.save()

    assert LogEntry.objects.count() == before


@pytest.mark.django_db
def test_the_history_button_shows_the_trail_of_the_object(client, admin, project):
    finding = Finding.objects.create(project=project, title="Weak hash", fingerprint="f2")
    finding.status = Finding.Status.ACCEPTED_RISK
    finding.save()
    client.force_login(admin)

    response = client.get(reverse("admin:findings_finding_history", args=[finding.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Accepted risk" in page or "accepted_risk" in page


@pytest.mark.django_db
def test_a_tech_lead_sees_the_history_of_their_project_only(client, tech_lead, project, other_project):
    mine = Finding.objects.create(project=project, title="Mine", fingerprint="m")
    theirs = Finding.objects.create(project=other_project, title="Theirs", fingerprint="t")
    client.force_login(tech_lead)

    assert client.get(reverse("admin:findings_finding_history", args=[mine.pk])).status_code == 200
    assert client.get(reverse("admin:findings_finding_history", args=[theirs.pk])).status_code == 403
    # The trail as a whole is for managers, auditors and admins.
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 403


@pytest.mark.django_db
def test_the_trail_is_browsable_and_filterable_by_user_and_date(client, manager, admin, project):
    with set_actor(admin):
        Finding.objects.create(project=project, title="Weak hash", fingerprint="f3")
    Finding.objects.create(project=project, title="By a task", fingerprint="f5")
    client.force_login(manager)
    url = reverse("admin:auditlog_logentry_changelist")

    response = client.get(url)
    assert response.status_code == 200
    filters = {spec.title for spec in response.context["cl"].filter_specs}
    assert {"user", "timestamp"} <= {str(t) for t in filters}

    response = client.get(url, {"actor__id__exact": admin.pk, "timestamp__gte": "2000-01-01"})
    assert response.status_code == 200
    assert [e.object_repr for e in response.context["cl"].result_list] == ["Weak hash"]


@pytest.mark.django_db
def test_nobody_can_edit_or_delete_the_trail_through_the_admin(client, admin, project):
    finding = Finding.objects.create(project=project, title="Weak hash", fingerprint="f4")
    entry = entries_for(finding).get()
    client.force_login(admin)

    change = client.post(reverse("admin:auditlog_logentry_change", args=[entry.pk]), {"changes": "{}"})
    delete = client.post(reverse("admin:auditlog_logentry_delete", args=[entry.pk]), {"post": "yes"})
    bulk = client.post(
        reverse("admin:auditlog_logentry_changelist"),
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )

    assert change.status_code == 403
    assert delete.status_code == 403
    assert bulk.status_code in (200, 302)
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403


@pytest.mark.django_db
def test_a_checklist_item_state_change_is_recorded_with_who_did_it(project, tech_lead):
    from checklists.models import Checklist, ChecklistItem
    from checklists.services import checklist_item_set_state

    checklist = Checklist.objects.create(project=project, title="Go-live")
    item = ChecklistItem.objects.create(checklist=checklist, text="Backups restored once")

    with set_actor(tech_lead):
        checklist_item_set_state(item=item, state="done", user=tech_lead, note="Restored on 2026-01-05")

    entry = entries_for(item).last()
    assert entry.actor == tech_lead
    assert entry.changes_dict["state"] == ["todo", "done"]
    assert entry.changes_dict["note"] == ["", "Restored on 2026-01-05"]


@pytest.mark.django_db
def test_a_request_through_the_admin_records_the_logged_in_user_and_address(client, admin, project):
    finding = Finding.objects.create(project=project, title="Open redirect", fingerprint="f6")
    client.force_login(admin)
    url = reverse("admin:findings_finding_change", args=[finding.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"project": project.pk, "status": "in_progress", "severity": finding.severity})

    response = client.post(url, data, REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = entries_for(finding).last()
    assert entry.actor == admin
    assert entry.remote_addr == "192.0.2.10"
    assert entry.changes_dict["status"] == ["open", "in_progress"]
