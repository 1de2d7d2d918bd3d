"""The triage service: one path for a person's status and assignee change (admin and API)."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from findings.models import Finding
from findings.services.triage import change_finding

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(project):
    now = timezone.now()
    return Finding.objects.create(
        project=project,
        title="SQL injection",
        fingerprint="sqli",
        severity=3,
        first_seen_at=now,
        sla_due_at=now + dt.timedelta(days=30),
    )


def stored(finding):
    return Finding.objects.get(pk=finding.pk)


def test_fixing_stamps_the_time_and_the_sla_outcome(finding, tech_lead):
    assert change_finding(finding, user=tech_lead, status="fixed") is None

    row = stored(finding)
    assert row.status == "fixed" and row.fixed_within_sla is True
    assert row.fixed_at is not None and row.status_changed_at == row.fixed_at
    assert (finding.status, finding.fixed_at) == (row.status, row.fixed_at)  # the caller's copy too


def test_reopening_resumes_the_clock_without_the_time_spent_fixed(finding, tech_lead):
    start = timezone.now()
    due = stored(finding).sla_due_at
    with mock.patch("django.utils.timezone.now", return_value=start):
        change_finding(finding, user=tech_lead, status="fixed")
    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(days=12)):
        change_finding(finding, user=tech_lead, status="open")

    row = stored(finding)
    assert (row.status, row.fixed_at, row.fixed_within_sla) == ("open", None, None)
    assert row.sla_paused == dt.timedelta(days=12)
    assert row.sla_due_at == due + dt.timedelta(days=12)


@pytest.mark.parametrize("status", ["accepted_risk", "false_positive"])
def test_a_decision_status_becomes_a_pending_exception_and_the_status_stays(finding, tech_lead, status):
    exception = change_finding(finding, user=tech_lead, status=status, note="Behind the VPN.")

    assert exception is not None and exception.state == "pending"
    assert exception.justification == "Behind the VPN."
    row = stored(finding)
    assert row.status == "open" and row.status_changed_at is None
    assert list(row.exceptions.values_list("pk", flat=True)) == [exception.pk]


def test_an_assignee_who_cannot_see_the_project_is_refused_and_nothing_is_written(
    finding, tech_lead, other_tech_lead
):
    with pytest.raises(ValidationError) as refused:
        change_finding(finding, user=tech_lead, status="in_progress", assignee=other_tech_lead)

    assert "assignee" in refused.value.message_dict
    row = stored(finding)
    assert (row.status, row.assignee_id) == ("open", None)


def test_an_unknown_status_is_refused(finding, tech_lead):
    with pytest.raises(ValidationError) as refused:
        change_finding(finding, user=tech_lead, status="done")

    assert "status" in refused.value.message_dict
    assert stored(finding).status == "open"


def test_someone_outside_the_project_may_not_triage(finding, other_tech_lead, manager):
    for user in (other_tech_lead, manager):
        with pytest.raises(PermissionDenied):
            change_finding(finding, user=user, status="fixed")

    assert stored(finding).status == "open"


def test_the_trail_records_before_and_after(finding, tech_lead):
    change_finding(finding, user=tech_lead, status="in_progress", assignee=tech_lead)
    change_finding(finding, user=tech_lead, status="in_progress", assignee=tech_lead)  # no change

    updates = LogEntry.objects.get_for_object(finding).filter(action=LogEntry.Action.UPDATE)
    assert updates.count() == 1
    changes = updates.get().changes_dict
    assert changes["status"] == ["open", "in_progress"]
    assert changes["assignee"][1] == str(tech_lead.pk)


def admin_post(client, finding, **fields):
    url = reverse("admin:findings_finding_change", args=[finding.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"project": finding.project_id, **fields})
    return client.post(url, data, follow=True)


def test_the_admin_change_form_goes_through_the_service(client, admin, finding):
    client.force_login(admin)

    response = admin_post(client, finding, status="fixed", assignee=admin.pk, title="SQL injection (login)")

    assert response.status_code == 200
    row = stored(finding)
    assert (row.status, row.assignee_id, row.title) == ("fixed", admin.pk, "SQL injection (login)")
    assert row.status_changed_at is not None and row.fixed_at == row.status_changed_at
    assert row.fixed_within_sla is True
    updates = LogEntry.objects.get_for_object(finding).filter(action=LogEntry.Action.UPDATE)
    assert set(updates.values_list("actor", flat=True)) == {admin.pk}


def test_the_admin_asks_for_an_exception_and_keeps_the_status(client, tech_lead, finding):
    client.force_login(tech_lead)

    response = admin_post(client, finding, status="accepted_risk")

    text = response.content.decode()
    assert "needs an approved exception" in text and "waits for someone else" in text
    assert stored(finding).status == "open"
    assert stored(finding).exceptions.get().state == "pending"


def test_the_admin_names_a_refused_assignee_and_keeps_it(client, admin, finding, other_tech_lead):
    client.force_login(admin)

    response = admin_post(client, finding, assignee=other_tech_lead.pk)

    assert "The assignee was not changed" in response.content.decode()
    assert stored(finding).assignee_id is None
