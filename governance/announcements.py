"""The daily signals of governance (governance.signals), sent by the daily expiry run.

Once per day: the day's DailyAnnouncement row is inserted first, in the transaction that
schedules the signals; a second run the same day (a retried task, two beat schedulers) finds the
row and sends nothing. The signals go out after that transaction commits, so a rolled-back run
sends nothing and leaves the day unclaimed for the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from findings.models import Finding
from governance import selectors
from governance.models import DailyAnnouncement, PolicyException
from governance.signals import exception_expiring, sla_breached
from projects.models import Project


@dataclass(frozen=True)
class Announced:
    expiring: int  # exception_expiring signals
    breached_projects: int  # sla_breached signals (one per project)
    breached_findings: int


def daily_signals_send(*, today: dt.date | None = None) -> Announced | None:
    """Send today's `exception_expiring` (one per exception) and `sla_breached` (one per project)
    signals after commit; None when another run already announced this day. Three queries."""
    today = today or timezone.localdate()
    with transaction.atomic():
        try:
            with transaction.atomic():
                DailyAnnouncement.objects.create(day=today)
        except IntegrityError:
            return None
        expiring = selectors.expiring_exceptions(today)
        breached = selectors.breached_yesterday_by_project(today)
        for exception, days_left in expiring:
            transaction.on_commit(_expiring(exception, days_left))
        for project, findings in breached.items():
            transaction.on_commit(_breached(project, findings))
    return Announced(len(expiring), len(breached), sum(len(f) for f in breached.values()))


def _expiring(exception: PolicyException, days_left: int) -> Callable[[], object]:
    return lambda: exception_expiring.send(sender=PolicyException, exception=exception, days_left=days_left)


def _breached(project: Project, findings: list[Finding]) -> Callable[[], object]:
    return lambda: sla_breached.send(sender=Finding, project=project, findings=findings)
