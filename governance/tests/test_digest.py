"""Exceptions about to expire go into the one daily digest per owner, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.core import mail

from checklists.models import Checklist, ChecklistItem
from checklists.services import reminders_send
from conftest import make_user
from governance.models import Reason
from governance.services import exception_approve, exception_request

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EXCEPTION_REMINDER_DAYS = (30, 7, 1)


def expiring(finding, requester, approver, days_left: int):
    exception = exception_request(
        user=requester,
        reason=Reason.ACCEPTED_RISK,
        justification="Legacy endpoint, removed next quarter.",
        finding=finding,
        expires_on=TODAY + dt.timedelta(days=days_left),
        today=TODAY - dt.timedelta(days=1),
    )
    return exception_approve(exception=exception, user=approver, today=TODAY - dt.timedelta(days=1))


def test_the_reminder_goes_on_30_7_and_1_days_before_and_not_between(finding, tech_lead, auditor_user):
    exception = expiring(finding, tech_lead, auditor_user, days_left=30)
    sent_on = []
    for offset in range(31):
        day = TODAY + dt.timedelta(days=offset)
        mail.outbox = []
        reminders_send(today=day)
        if mail.outbox:
            assert [m.to for m in mail.outbox] == [[tech_lead.email]]
            assert mail.outbox[0].body.count(f"Exception #{exception.pk} ") == 1
            sent_on.append(offset)

    assert sent_on == [0, 23, 29]


def test_one_digest_per_owner_and_day_with_checklists_and_exceptions(
    make_finding, project, tech_lead, auditor_user
):
    first, second = make_finding(), make_finding()
    expiring(first, tech_lead, auditor_user, days_left=7)
    requester = make_user("dev")
    project.members.add(requester)
    requester.user_permissions.add(Permission.objects.get(codename="add_policyexception"))
    expiring(second, requester, auditor_user, days_left=7)
    Checklist.objects.create(project=project, title="Go-live", owner=tech_lead, due_date=TODAY)
    ChecklistItem.objects.create(checklist=Checklist.objects.get(), text="Backups")

    reminders_send(today=TODAY)
    again = reminders_send(today=TODAY)

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert sorted(by_recipient) == sorted([tech_lead.email, requester.email])
    assert len(mail.outbox) == 2
    lead_mail = by_recipient[tech_lead.email]
    assert "Go-live" in lead_mail.body and "EXCEPTIONS EXPIRING" in lead_mail.body
    assert lead_mail.body.count("expires on") == 2  # the lead's project holds both
    assert by_recipient[requester.email].body.count("expires on") == 1
    assert "Exceptions expiring" in by_recipient[requester.email].subject
    assert again.sent == [] and sorted(again.skipped) == sorted([tech_lead.pk, requester.pk])
