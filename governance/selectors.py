"""Reads of exceptions: the digest's "expiring" lines, and what a page lists."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from checklists.digest import DigestLine
from findings.models import Finding, FindingComment, Severity
from governance.models import PolicyException, Reason, State, Target
from projects.models import Project


def expiring_exceptions(today: dt.date) -> list[tuple[PolicyException, int]]:
    """(exception, days left) of the approved exceptions expiring in exactly one of
    EXCEPTION_REMINDER_DAYS days (30, 7 and 1 by default), soonest first. A day matches once, so
    a daily reader sees each reminder once. One query."""
    days = sorted({int(d) for d in settings.EXCEPTION_REMINDER_DAYS if int(d) > 0}, reverse=True)
    if not days:
        return []
    dates = [today + dt.timedelta(days=d) for d in days]
    rows = (
        PolicyException.objects.filter(state=State.APPROVED, expires_on__in=dates)
        .select_related("project", "finding", "checklist_item")
        .order_by("expires_on", "pk")
    )
    return [(e, (e.expires_on - today).days) for e in rows if e.expires_on is not None]


def expiring_digest_lines(today: dt.date) -> dict[int, list[DigestLine]]:
    """The reminders of `expiring_exceptions`, for their requester and the project's tech lead
    (one digest per owner and day: each reminder goes out once). One query."""
    lines: dict[int, list[DigestLine]] = defaultdict(list)
    for exception, left in expiring_exceptions(today):
        what = exception.finding.title if exception.finding is not None else exception.subject
        line = DigestLine(
            text=f"Exception #{exception.pk} ({exception.get_reason_display().lower()}) for "
            f"{what!r} in {exception.project.name} expires on {exception.expires_on:%Y-%m-%d}, "
            f"in {left} day{'s' if left != 1 else ''}: renew it or fix what it covers.",
            url=settings.SITE_URL + exception.get_admin_url(),
        )
        for user_id in {exception.requested_by_id, exception.project.tech_lead_id}:
            if user_id is not None:
                lines[user_id].append(line)
    return dict(lines)


CLOSED = (str(Finding.Status.ACCEPTED_RISK), str(Finding.Status.FALSE_POSITIVE))


@dataclass(frozen=True)
class ExceptedFinding:
    finding_id: int
    domain_id: int | None
    severity: int
    exception_id: int
    label: str


def excepted_findings(*, project_id: int) -> dict[int, ExceptedFinding]:
    """The findings of a project that approved exceptions keep closed, by finding id: what the
    scores would count without exceptions. Two queries plus one per approved rule exception."""
    found: dict[int, ExceptedFinding] = {}
    approved = PolicyException.objects.filter(project_id=project_id, state=State.APPROVED)
    rows = (
        approved.filter(target=Target.FINDING, finding__status__in=CLOSED)
        .order_by("pk")
        .values_list(
            "pk", "reason", "finding_id", "finding__domain_id", "finding__severity", "finding__title"
        )
    )
    for pk, reason, finding_id, domain_id, severity, title in rows:
        label = f"Exception #{pk} ({Reason(reason).label.lower()}): {title[:120]}"
        found[finding_id] = ExceptedFinding(finding_id, domain_id, severity, pk, label)
    for pk, reason, tool, rule_id in approved.filter(target=Target.RULE).values_list(
        "pk", "reason", "tool", "rule_id"
    ):
        label = f"Exception #{pk} ({Reason(reason).label.lower()}): rule {tool} / {rule_id}"
        for finding_id, domain_id, severity in Finding.objects.filter(
            project_id=project_id, tool=tool, rule_id=rule_id, status__in=CLOSED
        ).values_list("pk", "domain_id", "severity"):
            found.setdefault(finding_id, ExceptedFinding(finding_id, domain_id, severity, pk, label))
    return found


def excepted_gate_counts(*, project_id: int) -> dict[str, int]:
    """Critical and high findings approved exceptions keep out of the readiness gate."""
    excepted = excepted_findings(project_id=project_id).values()
    return {
        "critical": sum(1 for f in excepted if f.severity == Severity.CRITICAL),
        "high": sum(1 for f in excepted if f.severity == Severity.HIGH),
        "exceptions": len({f.exception_id for f in excepted if f.severity >= Severity.HIGH}),
    }


BREACH_LINES_MAX = 50


def breached_yesterday(today: dt.date) -> QuerySet[Finding]:
    """Open findings whose SLA due date passed during the day before `today` (in TIME_ZONE): each
    breach belongs to one day only, so a daily reader sees it once."""
    end = dt.datetime.combine(today, dt.time.min, tzinfo=timezone.get_current_timezone())
    return Finding.objects.filter(
        status__in=Finding.ACTIVE_STATUSES, sla_due_at__gte=end - dt.timedelta(days=1), sla_due_at__lt=end
    )


def breached_yesterday_by_project(today: dt.date) -> dict[Project, list[Finding]]:
    """`breached_yesterday`, by project (worst first). One query."""
    found: dict[Project, list[Finding]] = defaultdict(list)
    for finding in (
        breached_yesterday(today).select_related("project").order_by("project_id", "-severity", "pk")
    ):
        found[finding.project].append(finding)
    return dict(found)


def sla_breach_digest_lines(today: dt.date) -> dict[int, list[DigestLine]]:
    """The findings of `breached_yesterday`, for their assignee (or the project's tech lead when
    nobody is assigned) and their watchers. Two queries."""
    rows = (
        breached_yesterday(today)
        .select_related("project")
        .order_by("-severity", "sla_due_at", "pk")
        .values_list(
            "pk", "title", "severity", "sla_due_at", "assignee_id", "project__name", "project__tech_lead_id"
        )
    )
    breached = list(rows)
    watchers = _watchers([row[0] for row in breached])
    lines: dict[int, list[DigestLine]] = defaultdict(list)
    more: dict[int, int] = defaultdict(int)
    for pk, title, severity, due, assignee_id, project_name, lead_id in breached:
        if due is None:
            continue
        line = DigestLine(
            text=f"{Severity(severity).label} finding {title[:120]!r} in {project_name} passed its SLA "
            f"due date ({timezone.localtime(due):%Y-%m-%d %H:%M}).",
            url=settings.SITE_URL + reverse("admin:findings_finding_change", args=[pk]),
        )
        for owner in {assignee_id or lead_id, *watchers.get(pk, ())} - {None}:
            if len(lines[owner]) >= BREACH_LINES_MAX:
                more[owner] += 1
            else:
                lines[owner].append(line)
    for owner, n in more.items():
        lines[owner].append(DigestLine(text=f"… and {n} more finding(s) past their SLA due date."))
    return dict(lines)


def _watchers(finding_ids: list[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    through = Finding.watchers.through
    for start in range(0, len(finding_ids), 5000):
        pairs = through.objects.filter(finding_id__in=finding_ids[start : start + 5000]).values_list(
            "finding_id", "user_id"
        )
        for finding_id, user_id in pairs:
            found[finding_id].add(user_id)
    return found


COMMENT_LINES_MAX = 50


def watched_comments_digest_lines(today: dt.date) -> dict[int, list[DigestLine]]:
    """The comments written the day before `today` on the findings each user watches (not their
    own); an internal note is announced without its text. Two queries."""
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(today, dt.time.min, tzinfo=tz)
    comments = list(
        FindingComment.objects.filter(created_at__gte=end - dt.timedelta(days=1), created_at__lt=end)
        .order_by("created_at", "pk")
        .values_list("finding_id", "finding__title", "author_id", "author__username", "body", "internal")
    )
    watchers = _watchers(sorted({c[0] for c in comments}))
    lines: dict[int, list[DigestLine]] = defaultdict(list)
    for finding_id, title, author_id, author, body, internal in comments:
        said = "added an internal note" if internal else f"wrote: {' '.join(body.split())[:200]}"
        line = DigestLine(
            text=f"{author or 'auditor'} on {title[:120]!r}: {said}",
            url=settings.SITE_URL + reverse("admin:findings_finding_change", args=[finding_id]),
        )
        for user_id in watchers.get(finding_id, set()) - {author_id}:
            if len(lines[user_id]) < COMMENT_LINES_MAX:
                lines[user_id].append(line)
    return dict(lines)
