"""Reads of exceptions: the digest's "expiring" lines, and what a page lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings

from checklists.digest import DigestLine
from governance.models import PolicyException, State


def expiring_digest_lines(today: dt.date) -> dict[int, list[DigestLine]]:
    """The approved exceptions expiring in exactly one of EXCEPTION_REMINDER_DAYS days (30, 7
    and 1 by default), for their requester and the project's tech lead. A day matches once, so
    with one digest per owner and day each reminder goes out once. One query."""
    days = sorted({int(d) for d in settings.EXCEPTION_REMINDER_DAYS if int(d) > 0}, reverse=True)
    if not days:
        return {}
    dates = [today + dt.timedelta(days=d) for d in days]
    rows = (
        PolicyException.objects.filter(state=State.APPROVED, expires_on__in=dates)
        .select_related("project", "finding", "checklist_item")
        .order_by("expires_on", "pk")
    )
    lines: dict[int, list[DigestLine]] = defaultdict(list)
    for exception in rows:
        left = (exception.expires_on - today).days
        what = exception.finding.title if exception.finding_id else exception.subject
        line = DigestLine(
            text=f"Exception #{exception.pk} ({exception.get_reason_display().lower()}) for "
            f"{what!r} in {exception.project.name} expires on {exception.expires_on:%Y-%m-%d}, "
            f"in {left} day{'s' if left != 1 else ''}: renew it or fix what it covers.",
            url=settings.SITE_URL + exception.get_admin_url(),
        )
        for user_id in {exception.requested_by_id, exception.project.tech_lead_id} - {None}:
            lines[user_id].append(line)
    return dict(lines)
