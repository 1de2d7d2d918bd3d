"""Expiry: the beat task reopens what an expired exception closed, exactly once, and says why."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django.utils import timezone

from findings.models import Finding, FindingComment
from governance.models import PolicyException, Reason
from governance.services import (
    exception_approve,
    exception_expire_one,
    exception_request,
    exceptions_expire,
)
from governance.tasks import expire_exceptions

TODAY = dt.date(2026, 6, 1)


def approved(finding, tech_lead, auditor_user, *, days: int) -> PolicyException:
    exception = exception_request(
        user=tech_lead,
        reason=Reason.ACCEPTED_RISK,
        justification="Internal tool, no user input.",
        finding=finding,
        expires_on=TODAY + dt.timedelta(days=days),
        today=TODAY,
    )
    return exception_approve(exception=exception, user=auditor_user, today=TODAY)


@pytest.mark.django_db
def test_an_expired_exception_reopens_its_finding_once_and_says_why(finding, tech_lead, auditor_user):
    exception = approved(finding, tech_lead, auditor_user, days=3)
    assert exceptions_expire(today=TODAY + dt.timedelta(days=2)) == []

    first = exceptions_expire(today=TODAY + dt.timedelta(days=3))
    late_racer = exception_expire_one(exception.pk, exception.expires_on)  # read before the claim
    second = exceptions_expire(today=TODAY + dt.timedelta(days=4))

    assert (first, late_racer, second) == ([exception.pk], False, [])
    finding.refresh_from_db()
    exception.refresh_from_db()
    assert finding.status == "open" and finding.reopened_at is not None
    assert exception.state == "expired" and "expired on" in exception.end_note
    notes = [c.body for c in FindingComment.objects.filter(finding=finding, body__contains="expired")]
    assert notes == [f"Exception #{exception.pk} expired on {exception.expires_on:%Y-%m-%d}: reopened."]


@pytest.mark.django_db
def test_a_finding_still_covered_by_a_rule_exception_stays_closed(
    make_finding, project, tech_lead, auditor_user
):
    finding = make_finding(rule_id="B105")
    approved(finding, tech_lead, auditor_user, days=3)
    rule = exception_request(
        user=tech_lead,
        reason=Reason.ACCEPTED_RISK,
        justification="Hard-coded test passwords only.",
        project=project,
        tool="bandit",
        rule_id="B105",
        expires_on=TODAY + dt.timedelta(days=60),
        today=TODAY,
    )
    exception_approve(exception=rule, user=auditor_user, today=TODAY)

    exceptions_expire(today=TODAY + dt.timedelta(days=3))

    finding.refresh_from_db()
    assert finding.status == "accepted_risk"


@pytest.mark.django_db
def test_the_task_runs_the_expiry(finding, tech_lead, auditor_user):
    approved(finding, tech_lead, auditor_user, days=1)
    PolicyException.objects.update(expires_on=timezone.localdate())

    assert expire_exceptions().startswith("expired 1 exception(s); signals: ")
    assert Finding.objects.get().status == "open"


@pytest.mark.postgresql  # concurrent writers: SQLite serialises the whole database
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_beat_runs_reopen_each_finding_exactly_once(make_finding, tech_lead, auditor_user):
    exceptions = [approved(make_finding(), tech_lead, auditor_user, days=2) for _ in range(20)]
    start = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[Exception] = []

    def run() -> None:
        try:
            start.wait()
            results.append(exceptions_expire(today=TODAY + dt.timedelta(days=2)))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    claimed = sorted(pk for result in results for pk in result)
    assert claimed == sorted(e.pk for e in exceptions), "each exception expired by exactly one run"
    assert FindingComment.objects.filter(body__contains="expired on").count() == 20
    assert set(Finding.objects.values_list("status", flat=True)) == {"open"}
