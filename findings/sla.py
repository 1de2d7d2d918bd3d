"""SLA clocks: how many days a finding of each severity has to be fixed, its due date and state.

The clock starts at the finding's first sighting (`first_seen_at`, or its creation) and is never
reset: a re-import keeps it, and a reopened finding resumes with its history. The clock stops
while the finding is fixed: when it reopens, the time it spent fixed is added to its paused
time (`Finding.sla_paused`) and to its due date, so the days it had already used still count
(a regression of an old finding is breached at once) and the days it was fixed do not. The
due date is stored (`Finding.sla_due_at` = first sighting + days of its severity + paused
time) so lists, filters and counts are plain queries; the state is derived.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone

from findings.models import Finding, Severity

ON_TRACK, DUE_SOON, BREACHED, NO_SLA = "on_track", "due_soon", "breached", "none"
STATE_LABELS = {ON_TRACK: "On track", DUE_SOON: "Due soon", BREACHED: "Breached", NO_SLA: "No SLA"}
# "Due soon": less than this share of the severity's global window remains (7.5 of 30 days for a
# high finding, 1.75 of 7 for a critical one). The same cut-off in Python and in SQL.
DUE_SOON_SHARE = 0.25

_PROJECT_FIELDS = {
    Severity.CRITICAL: "sla_critical_days",
    Severity.HIGH: "sla_high_days",
    Severity.MEDIUM: "sla_medium_days",
    Severity.LOW: "sla_low_days",
}
_SETTINGS = {
    Severity.CRITICAL: "SLA_DAYS_CRITICAL",
    Severity.HIGH: "SLA_DAYS_HIGH",
    Severity.MEDIUM: "SLA_DAYS_MEDIUM",
    Severity.LOW: "SLA_DAYS_LOW",
}


def days_by_severity(project: Any) -> dict[int, int | None]:
    """{severity: days to fix} for a project: its own values, else the global settings. Info
    findings have no SLA."""
    days: dict[int, int | None] = {int(Severity.INFO): None}
    for severity, field in _PROJECT_FIELDS.items():
        own = getattr(project, field, None) if project is not None else None
        days[int(severity)] = own if own is not None else getattr(settings, _SETTINGS[severity])
    return days


def due_at(started: dt.datetime | None, severity: int, days: dict[int, int | None]) -> dt.datetime | None:
    window = days.get(int(severity))
    if started is None or window is None:
        return None
    return started + dt.timedelta(days=window)


def fill(finding: Finding, project: Any = None) -> None:
    """Set a finding's due date from its first sighting and severity (on creation and when its
    severity changes; never on re-import or reopening)."""
    started = finding.first_seen_at or finding.created_at or timezone.now()
    due = due_at(started, finding.severity, days_by_severity(project or finding.project))
    finding.sla_due_at = None if due is None else due + (finding.sla_paused or dt.timedelta(0))


def resume(finding: Finding, now: dt.datetime) -> None:
    """A fixed finding reopens at `now`: the time it spent fixed does not count, so its paused
    time and its due date move on by that much. Call before clearing `fixed_at`."""
    if finding.fixed_at is None:
        return
    fixed_for = max(now - finding.fixed_at, dt.timedelta(0))
    finding.sla_paused = (finding.sla_paused or dt.timedelta(0)) + fixed_for
    if finding.sla_due_at is not None:
        finding.sla_due_at += fixed_for


def _soon_cut(severity: int) -> dt.timedelta | None:
    setting = _SETTINGS.get(Severity(severity)) if severity in Severity.values else None
    return None if setting is None else dt.timedelta(days=getattr(settings, setting) * DUE_SOON_SHARE)


def state(*, status: str, due: dt.datetime | None, severity: int, now: dt.datetime | None = None) -> str:
    """On track, due soon, breached, or no SLA (closed findings and those without a due date)."""
    if due is None or status not in Finding.ACTIVE_STATUSES:
        return NO_SLA
    now = now or timezone.now()
    if now >= due:
        return BREACHED
    cut = _soon_cut(severity)
    if cut is not None and due - now < cut:
        return DUE_SOON
    return ON_TRACK


def finding_state(finding: Finding, now: dt.datetime | None = None) -> str:
    return state(status=finding.status, due=finding.sla_due_at, severity=finding.severity, now=now)


def fixed_within_sla_case(now: dt.datetime) -> Case:
    """The value of `fixed_within_sla` for findings fixed at `now` (in one UPDATE)."""
    return Case(
        When(sla_due_at__isnull=True, then=Value(None)),
        When(sla_due_at__gte=now, then=Value(True)),
        default=Value(False),
    )


def fixed_within(due: dt.datetime | None, fixed: dt.datetime) -> bool | None:
    return None if due is None else fixed <= due


# What record_status_change may change: a caller saving with update_fields names them all.
STATUS_CHANGE_FIELDS = (
    "status",
    "status_changed_at",
    "fixed_at",
    "fixed_within_sla",
    "sla_due_at",
    "sla_paused",
)


def record_status_change(finding: Finding, old_status: str, now: dt.datetime | None = None) -> None:
    """On a status change made by a person: a fixed finding records whether it was fixed in time;
    a finding no longer fixed forgets it and resumes its clock (the time it spent fixed does not
    count; nothing else moves the clock)."""
    fixed = str(Finding.Status.FIXED)
    if str(finding.status) == fixed and str(old_status) != fixed:
        finding.fixed_at = finding.fixed_at or now or timezone.now()
        finding.fixed_within_sla = fixed_within(finding.sla_due_at, finding.fixed_at)
    elif str(old_status) == fixed and str(finding.status) != fixed:
        if finding.fixed_at is None and finding.pk is not None:
            # The caller cleared it already: the clock resumes from the stored fixing time.
            stored = Finding.objects.filter(pk=finding.pk).values_list("fixed_at", flat=True)
            finding.fixed_at = stored.first()
        resume(finding, now or timezone.now())
        finding.fixed_at = None
        finding.fixed_within_sla = None


def state_q(key: str, now: dt.datetime, prefix: str = "") -> Q:
    """The findings in one SLA state at `now`: the database side of `state`."""
    active = Q(**{f"{prefix}status__in": Finding.ACTIVE_STATUSES})
    due = f"{prefix}sla_due_at"
    if key == NO_SLA:
        return ~active | Q(**{f"{due}__isnull": True})
    if key == BREACHED:
        return active & Q(**{f"{due}__lte": now})
    soon = Q()
    for severity, setting in _SETTINGS.items():
        cut = now + dt.timedelta(days=getattr(settings, setting) * DUE_SOON_SHARE)
        soon |= Q(**{f"{prefix}severity": severity, f"{due}__gt": now, f"{due}__lt": cut})
    if key == DUE_SOON:
        return active & soon
    return active & Q(**{f"{due}__gt": now}) & ~soon


def counts_by_project(project_ids: list[int], now: dt.datetime | None = None) -> dict[int, dict[str, int]]:
    """{project id: {"breached": n, "due_soon": n, "on_track": n}} of open findings, in one query."""
    now = now or timezone.now()
    counts: dict[int, dict[str, int]] = {pid: {BREACHED: 0, DUE_SOON: 0, ON_TRACK: 0} for pid in project_ids}
    if not project_ids:
        return counts
    rows = (
        Finding.objects.filter(
            project_id__in=project_ids, status__in=Finding.ACTIVE_STATUSES, sla_due_at__isnull=False
        )
        .values("project_id")
        .annotate(
            breached=Count("id", filter=state_q(BREACHED, now)),
            due_soon=Count("id", filter=state_q(DUE_SOON, now)),
            on_track=Count("id", filter=state_q(ON_TRACK, now)),
        )
        .order_by()
    )
    for row in rows:
        counts[row["project_id"]] = {
            BREACHED: row["breached"],
            DUE_SOON: row["due_soon"],
            ON_TRACK: row["on_track"],
        }
    return counts


def breached_by_project(project_ids: list[int], now: dt.datetime | None = None) -> dict[int, int]:
    """{project id: open findings past their due date}, only projects with such findings. One
    query, an index-only scan of (project, status, sla_due_at) reading the breached findings
    alone (1,000 projects of 1,000 findings: some 300,000 index entries, no table row)."""
    if not project_ids:
        return {}
    rows = (
        Finding.objects.filter(
            project_id__in=project_ids,
            status__in=Finding.ACTIVE_STATUSES,
            sla_due_at__lte=now or timezone.now(),
        )
        .values("project_id")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {row["project_id"]: row["n"] for row in rows}
