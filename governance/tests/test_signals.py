"""The daily expiry run sends governance's signals once a day, after commit: exceptions expiring
in 30, 7 and 1 days (`exception_expiring`) and, per project, the findings whose SLA due date
passed the day before (`sla_breached`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from findings.models import Finding
from governance.announcements import daily_signals_send
from governance.models import DailyAnnouncement, Reason
from governance.services import exception_approve, exception_request
from governance.signals import exception_expiring, sla_breached
from governance.tasks import expire_exceptions

pytestmark = pytest.mark.django_db


@pytest.fixture
def received() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    got: list[tuple[str, dict[str, Any]]] = []

    def on_expiring(sender: Any, **kwargs: Any) -> None:
        got.append(("exception_expiring", kwargs))

    def on_breached(sender: Any, **kwargs: Any) -> None:
        got.append(("sla_breached", kwargs))

    exception_expiring.connect(on_expiring)
    sla_breached.connect(on_breached)
    yield got
    exception_expiring.disconnect(on_expiring)
    sla_breached.disconnect(on_breached)


def approved(finding: Finding, requester: Any, approver: Any, *, expires_in: int) -> Any:
    today = timezone.localdate()
    exception = exception_request(
        user=requester,
        reason=Reason.ACCEPTED_RISK,
        justification="Removed next quarter.",
        finding=finding,
        expires_on=today + dt.timedelta(days=expires_in),
    )
    return exception_approve(exception=exception, user=approver)


def due(days_ago: float) -> dt.datetime:
    midnight = dt.datetime.combine(timezone.localdate(), dt.time.min, tzinfo=timezone.get_current_timezone())
    return midnight - dt.timedelta(days=days_ago)


def test_the_daily_run_sends_each_signal_once_after_commit(
    settings,
    make_finding,
    project,
    other_project,
    tech_lead,
    auditor_user,
    received,
    django_capture_on_commit_callbacks,
):
    settings.EXCEPTION_REMINDER_DAYS = (30, 7, 1)
    in_seven = approved(make_finding(), tech_lead, auditor_user, expires_in=7)
    approved(make_finding(), tech_lead, auditor_user, expires_in=5)  # not a reminder day
    worst = make_finding(severity=4, sla_due_at=due(0.5))
    lesser = make_finding(severity=2, sla_due_at=due(0.1))
    make_finding(sla_due_at=due(1.5))  # breached the day before yesterday: announced then
    make_finding(sla_due_at=due(0.5), status="fixed")
    other = make_finding(project=other_project, sla_due_at=due(0.9))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        summary = expire_exceptions()
        assert received == []  # nothing before commit
    assert len(callbacks) == 3

    assert summary == "expired 0 exception(s); signals: 1 expiring, 3 SLA breach(es) in 2 project(s)"
    expiring = [kwargs for name, kwargs in received if name == "exception_expiring"]
    assert [(k["exception"], k["days_left"]) for k in expiring] == [(in_seven, 7)]
    breached = {k["project"]: k["findings"] for name, k in received if name == "sla_breached"}
    assert breached == {project: [worst, lesser], other_project: [other]}

    received.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert expire_exceptions().endswith("signals: already sent")
    assert received == []


def test_a_rolled_back_run_sends_nothing_and_leaves_the_day_to_the_next_run(
    make_finding, received, django_capture_on_commit_callbacks
):
    make_finding(sla_due_at=due(0.5))
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            daily_signals_send()
            raise RuntimeError("the worker died")
    assert received == [] and not DailyAnnouncement.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        announced = daily_signals_send()
    assert announced is not None and announced.breached_findings == 1
    assert [name for name, _kwargs in received] == ["sla_breached"]
