"""Exceptions: the four-eyes rule (service, database, admin form and hand-made POSTs), what an
approval closes, rule exceptions over current and future imports, checklist items."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from checklists.models import ItemState
from conftest import make_user
from findings.models import Finding
from findings.services.scans import scan_import
from governance.models import PolicyException, Reason
from governance.services import (
    exception_approve,
    exception_reject,
    exception_request,
    exception_revoke,
)
from projects import access

pytestmark = pytest.mark.django_db


def bandit_report(*rules: str) -> bytes:
    results = [
        {
            "filename": f"app/{rule}.py",
            "line_number": 3,
            "test_id": rule,
            "test_name": f"check {rule}",
            "issue_text": f"problem {rule}",
            "issue_severity": "HIGH",
            "issue_confidence": "HIGH",
        }
        for rule in rules
    ]
    return json.dumps(
        {"errors": [], "generated_at": "2026-01-01T00:00:00Z", "metrics": {}, "results": results}
    ).encode()


def request_for(finding, user, reason=Reason.FALSE_POSITIVE, **kwargs):
    return exception_request(
        user=user, reason=reason, justification="Only in a test fixture.", finding=finding, **kwargs
    )


# --- four eyes --------------------------------------------------------------------------------


def test_the_requester_cannot_approve_their_own_exception(finding, auditor_user):
    exception = request_for(finding, auditor_user)

    with pytest.raises(PermissionDenied, match="someone else"):
        exception_approve(exception=exception, user=auditor_user)

    exception.refresh_from_db()
    finding.refresh_from_db()
    assert (exception.state, exception.approved_by, finding.status) == ("pending", None, "open")


def test_the_database_refuses_an_approver_who_is_the_requester(finding, auditor_user):
    exception = request_for(finding, auditor_user)

    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyException.objects.filter(pk=exception.pk).update(approved_by=auditor_user, state="approved")


def test_a_pending_exception_changes_nothing_and_an_approved_one_closes_the_finding(
    finding, tech_lead, auditor_user
):
    exception = request_for(finding, tech_lead)
    finding.refresh_from_db()
    assert finding.status == "open"

    exception_approve(exception=exception, user=auditor_user)

    finding.refresh_from_db()
    assert finding.status == "false_positive"
    assert exception.state == "approved" and exception.approved_by == auditor_user
    assert "exception #" in finding.comments.get().body


def test_approving_needs_the_permission(finding, auditor_user, tech_lead, other_tech_lead):
    exception = request_for(finding, auditor_user)
    for user in (tech_lead, other_tech_lead):
        with pytest.raises(PermissionDenied):
            exception_approve(exception=exception, user=user)
    assert PolicyException.objects.get().state == "pending"


def test_a_manager_may_approve(finding, tech_lead, manager):
    exception = exception_approve(exception=request_for(finding, tech_lead), user=manager)

    assert exception.state == "approved"


def test_an_accepted_risk_expires_by_default_and_a_past_date_is_refused(finding, tech_lead, settings):
    settings.EXCEPTION_DEFAULT_EXPIRY_DAYS = 30
    today = dt.date(2026, 3, 1)

    with pytest.raises(ValidationError, match="after today"):
        request_for(finding, tech_lead, Reason.ACCEPTED_RISK, expires_on=today, today=today)
    exception = request_for(finding, tech_lead, Reason.ACCEPTED_RISK, today=today)

    assert exception.expires_on == dt.date(2026, 3, 31)


def test_one_standing_exception_per_finding_and_a_justification_is_required(finding, tech_lead):
    with pytest.raises(ValidationError, match="Say why"):
        exception_request(user=tech_lead, reason=Reason.FALSE_POSITIVE, justification="  ", finding=finding)
    request_for(finding, tech_lead)
    with pytest.raises(ValidationError, match="already covers"):
        request_for(finding, tech_lead)
    assert PolicyException.objects.count() == 1


def test_a_tech_lead_cannot_ask_for_another_projects_finding(make_finding, other_project, tech_lead):
    theirs = make_finding(project=other_project)

    with pytest.raises(PermissionDenied):
        request_for(theirs, tech_lead)


def test_reject_and_revoke(make_finding, tech_lead, auditor_user):
    first, second = make_finding(), make_finding()
    rejected = exception_reject(exception=request_for(first, tech_lead), user=auditor_user, note="No.")
    approved = exception_approve(exception=request_for(second, tech_lead), user=auditor_user)

    exception_revoke(exception=approved, user=auditor_user, note="Fixed upstream is not true")

    second.refresh_from_db()
    assert rejected.state == "rejected" and approved.state == "revoked"
    assert second.status == "open" and second.reopened_at is not None
    assert "revoked by auditor" in second.comments.order_by("pk").last().body
    with pytest.raises(ValidationError):
        exception_approve(exception=rejected, user=auditor_user)


# --- admin --------------------------------------------------------------------------------------


def test_the_admin_status_change_to_accepted_risk_becomes_a_pending_exception(client, finding, tech_lead):
    client.force_login(tech_lead)
    url = reverse("admin:findings_finding_change", args=[finding.pk])

    response = client.post(url, {"status": "accepted_risk", "assignee": ""}, follow=True)

    assert response.status_code == 200
    finding.refresh_from_db()
    assert finding.status == "open"
    exception = PolicyException.objects.get()
    assert (exception.state, exception.reason, exception.requested_by) == (
        "pending",
        "accepted_risk",
        tech_lead,
    )
    assert exception.expires_on is not None
    assert "waits for someone else" in response.content.decode()


def test_the_requester_cannot_approve_by_button_post_action_or_form(client, finding, auditor_user):
    exception = request_for(finding, auditor_user)
    client.force_login(auditor_user)
    page = client.get(reverse("admin:governance_policyexception_change", args=[exception.pk]))
    assert page.status_code == 200
    assert "Approve</button>" not in page.content.decode()

    by_post = client.post(reverse("admin:governance_policyexception_approve", args=[exception.pk]))
    by_action = client.post(
        reverse("admin:governance_policyexception_changelist"),
        {"action": "approve_selected", "_selected_action": [exception.pk]},
        follow=True,
    )
    by_form = client.post(
        reverse("admin:governance_policyexception_change", args=[exception.pk]),
        {"state": "approved", "approved_by": auditor_user.pk},
    )

    assert by_post.status_code == 403
    assert "someone else must approve" in by_action.content.decode()
    assert by_form.status_code == 403
    exception.refresh_from_db()
    assert (exception.state, exception.approved_by) == ("pending", None)


def test_another_approver_approves_with_the_button(client, finding, tech_lead, auditor_user):
    exception = request_for(finding, tech_lead)
    client.force_login(auditor_user)
    page = client.get(reverse("admin:governance_policyexception_change", args=[exception.pk]))
    assert "Approve</button>" in page.content.decode()

    response = client.post(reverse("admin:governance_policyexception_approve", args=[exception.pk]))

    assert response.status_code == 302
    finding.refresh_from_db()
    assert finding.status == "false_positive"


def test_the_request_form_creates_a_pending_exception_for_the_requester(client, finding, tech_lead):
    client.force_login(tech_lead)
    response = client.post(
        reverse("admin:governance_policyexception_add"),
        {"finding": finding.pk, "reason": "mitigated", "justification": "WAF rule 12 blocks it."},
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    exception = PolicyException.objects.get()
    assert (exception.requested_by, exception.state, exception.project) == (
        tech_lead,
        "pending",
        finding.project,
    )


def test_the_request_form_names_the_problem(client, tech_lead):
    client.force_login(tech_lead)
    response = client.post(
        reverse("admin:governance_policyexception_add"), {"reason": "mitigated", "justification": "x"}
    )

    assert response.status_code == 200
    assert "Name exactly one target" in response.content.decode()
    assert not PolicyException.objects.exists()


def test_the_spreadsheet_triage_asks_for_an_exception(client, finding, tech_lead):
    from tablib import Dataset

    from findings.resources import FindingResource

    dataset = Dataset(headers=["id", "status"])
    dataset.append([finding.pk, "False positive"])
    result = FindingResource(user=tech_lead).import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    finding.refresh_from_db()
    assert finding.status == "open"
    assert PolicyException.objects.get().reason == "false_positive"


# --- rules and items ------------------------------------------------------------------------------


def test_a_rule_exception_covers_current_and_future_imports(project, tech_lead, auditor_user):
    scan_import(project=project, content=bandit_report("B101", "B602"), file_name="bandit.json")
    exception = exception_request(
        user=tech_lead,
        reason=Reason.TEST_DATA,
        justification="Asserts in tests only.",
        project=project,
        tool="bandit",
        rule_id="B101",
    )
    assert Finding.objects.get(rule_id="B101").status == "open"  # pending: nothing changes

    exception_approve(exception=exception, user=auditor_user)
    Finding.objects.filter(rule_id="B101").delete()  # a later report's finding is a new row
    scan_import(project=project, content=bandit_report("B101", "B602"), file_name="bandit.json")

    assert dict(Finding.objects.values_list("rule_id", "status")) == {
        "B101": "false_positive",
        "B602": "open",
    }


def test_a_checklist_item_exception_makes_it_not_applicable_and_expiry_reopens_it(
    item, tech_lead, auditor_user
):
    from governance.services import exceptions_expire

    exception = exception_request(
        user=tech_lead,
        reason=Reason.NOT_APPLICABLE,
        justification="No database.",
        checklist_item=item,
        expires_on=timezone.localdate() + dt.timedelta(days=5),
    )
    exception_approve(exception=exception, user=auditor_user)
    item.refresh_from_db()
    assert item.state == ItemState.NOT_APPLICABLE

    exceptions_expire(today=timezone.localdate() + dt.timedelta(days=5))

    item.refresh_from_db()
    assert item.state == ItemState.TODO
    assert "expired" in item.history.order_by("-pk").first().note


def test_roles_grant_approval_to_auditors_and_managers_only(tech_lead, manager, auditor_user, admin):
    permission = "governance.approve_policyexception"
    assert [u.has_perm(permission) for u in (tech_lead, manager, auditor_user, admin)] == [
        False,
        True,
        True,
        True,
    ]
    assert access.has_role(tech_lead, access.TECH_LEAD)
    assert make_user("plain").has_perm(permission) is False


def test_the_finding_page_links_its_exceptions_and_the_request_form(client, finding, tech_lead):
    exception = request_for(finding, tech_lead)
    client.force_login(tech_lead)

    page = client.get(reverse("admin:findings_finding_change", args=[finding.pk])).content.decode()
    form = client.get(reverse("admin:governance_policyexception_add") + f"?finding={finding.pk}")

    assert reverse("admin:governance_policyexception_change", args=[exception.pk]) in page
    assert f"#{exception.pk} false positive (pending approval)" in page
    assert f"/admin/governance/policyexception/add/?finding={finding.pk}" in page
    assert form.context["adminform"].form.initial["finding"] == finding.pk
