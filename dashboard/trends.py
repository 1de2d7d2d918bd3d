"""Trends for managers: per month or quarter, findings discovered and fixed, time to fix by
severity (mean and median), SLA compliance, global scores; exceptions outstanding and expiring;
who is improving and who is slipping. Reads only, in a fixed number of queries whatever the
amount of data (aggregates are computed by the database; on PostgreSQL the median too)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
)
from django.db.models.functions import Trunc
from django.utils import timezone

from findings.models import Finding, Severity
from governance.models import PolicyException, State
from projects import access
from projects.models import Audit, DomainScore, MaturityDomain, Project

PERIODS = {"month": 12, "quarter": 4}  # how many periods back, the current one included
SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
RANKED = 5
EXPIRING_WITHIN_DAYS = 30


class TrendsError(ValueError):
    """A filter that names nothing the user may see; the message says which."""


class Median(Aggregate):
    """PostgreSQL's ordered-set median of an interval, in seconds."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()


@dataclass
class Filters:
    period: str = "month"
    project: Project | None = None
    lead_id: int | None = None
    domain: MaturityDomain | None = None

    def query(self) -> dict[str, str]:
        params = {"period": self.period}
        if self.project is not None:
            params["project"] = self.project.slug
        if self.lead_id is not None:
            params["lead"] = str(self.lead_id)
        if self.domain is not None:
            params["domain"] = self.domain.slug
        return params


@dataclass
class Period:
    start: dt.datetime
    label: str
    discovered: int = 0
    fixed: int = 0
    fixed_in_sla: int = 0
    fixed_with_sla: int = 0
    mean_days: dict[int, float | None] = field(default_factory=dict)
    median_days: dict[int, float | None] = field(default_factory=dict)
    global_score: Decimal | None = None
    domain_score: Decimal | None = None

    @property
    def sla_percent(self) -> float | None:
        return None if not self.fixed_with_sla else round(100 * self.fixed_in_sla / self.fixed_with_sla, 1)


@dataclass
class Trends:
    filters: Filters
    periods: list[Period]
    exceptions_outstanding: int
    exceptions_expiring: int
    improving: list[tuple[Project, Decimal]]
    slipping: list[tuple[Project, Decimal]]


def parse_filters(user: Any, params: Any) -> Filters:
    """Filters from the query string; raises TrendsError naming a value that is not valid."""
    filters = Filters()
    period = params.get("period", "month") or "month"
    if period not in PERIODS:
        raise TrendsError(f"Unknown period {period[:40]!r}: use month or quarter.")
    filters.period = period
    if slug := (params.get("project") or "").strip():
        filters.project = access.visible_projects(user).filter(slug=slug[:100]).first()
        if filters.project is None:
            raise TrendsError(f"No project {slug[:100]!r} among yours.")
    if lead := (params.get("lead") or "").strip():
        if not (lead.isascii() and lead.isdigit()) or len(lead) > 12:
            raise TrendsError(f"The tech lead {lead[:40]!r} is not a user id.")
        filters.lead_id = int(lead)
    if slug := (params.get("domain") or "").strip():
        filters.domain = MaturityDomain.objects.filter(slug=slug[:100]).first()
        if filters.domain is None:
            raise TrendsError(f"No domain {slug[:100]!r}.")
    return filters


def _starts(period: str, now: dt.datetime) -> list[dt.datetime]:
    local = timezone.localtime(now)
    month = local.month if period == "month" else 3 * ((local.month - 1) // 3) + 1
    step = 1 if period == "month" else 3
    start = local.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    starts = []
    for _ in range(PERIODS[period]):
        starts.append(start)
        year, month = divmod(start.month - 1 - step, 12)
        start = start.replace(year=start.year + year, month=month + 1)
    return list(reversed(starts))


def _label(start: dt.datetime, period: str) -> str:
    return f"{start:%Y-%m}" if period == "month" else f"{start.year} Q{(start.month - 1) // 3 + 1}"


def _key(value: dt.datetime | dt.date | None) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return (value.year, value.month)


def _projects(user: Any, filters: Filters) -> QuerySet[Project]:
    projects = access.visible_projects(user)
    if filters.project is not None:
        projects = projects.filter(pk=filters.project.pk)
    if filters.lead_id is not None:
        projects = projects.filter(tech_lead_id=filters.lead_id)
    return projects


def trends(user: Any, filters: Filters, now: dt.datetime | None = None) -> Trends:
    now = now or timezone.now()
    starts = _starts(filters.period, now)
    periods = {(s.year, s.month): Period(start=s, label=_label(s, filters.period)) for s in starts}
    first = starts[0]
    projects = _projects(user, filters)
    everything = access.sees_all_projects(user) and filters.project is None and filters.lead_id is None
    # Whoever sees every project reads the tables without the semi-join on projects.
    findings = (
        Finding.objects.all() if everything else Finding.objects.filter(project__in=projects.values("pk"))
    )
    if filters.domain is not None:
        findings = findings.filter(domain=filters.domain)
    kind = filters.period

    for row in (
        findings.filter(first_seen_at__gte=first)
        .annotate(p=Trunc("first_seen_at", kind))
        .values("p")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if (period := periods.get(_key(row["p"]) or (0, 0))) is not None:
            period.discovered += row["n"]

    fixed = findings.filter(status=Finding.Status.FIXED, fixed_at__gte=first, first_seen_at__isnull=False)
    took = ExpressionWrapper(F("fixed_at") - F("first_seen_at"), output_field=DurationField())
    grouped = fixed.annotate(p=Trunc("fixed_at", kind)).values("p", "severity")
    on_postgresql = connection.vendor == "postgresql"
    counts = grouped.annotate(
        n=Count("id"),
        in_sla=Count("id", filter=Q(fixed_within_sla=True)),
        with_sla=Count("id", filter=Q(fixed_within_sla__isnull=False)),
    ).order_by()
    if on_postgresql:  # the times to fix in the same pass
        counts = counts.annotate(mean=Avg(took), median=Median(took))
    for row in counts:
        if (period := periods.get(_key(row["p"]) or (0, 0))) is not None:
            period.fixed += row["n"]
            period.fixed_in_sla += row["in_sla"]
            period.fixed_with_sla += row["with_sla"]
            if on_postgresql:
                period.mean_days[row["severity"]] = round(row["mean"].total_seconds() / 86400, 1)
                period.median_days[row["severity"]] = round(row["median"] / 86400, 1)
    if not on_postgresql:  # the embedded database has no median: the durations are read and reduced here
        spans: dict[tuple[tuple[int, int], int], list[float]] = defaultdict(list)
        for p, severity, started, ended in fixed.annotate(p=Trunc("fixed_at", kind)).values_list(
            "p", "severity", "first_seen_at", "fixed_at"
        ):
            spans[(_key(p) or (0, 0), severity)].append((ended - started).total_seconds() / 86400)
        for (key, severity), days in spans.items():
            if (period := periods.get(key)) is not None:
                period.mean_days[severity] = round(statistics.fmean(days), 1)
                period.median_days[severity] = round(statistics.median(days), 1)

    audits = Audit.objects.filter(status=Audit.Status.COMPLETED, audit_date__gte=first.date())
    if not everything:
        audits = audits.filter(project__in=projects.values("pk"))
    for row in (
        audits.annotate(p=Trunc("audit_date", kind)).values("p").annotate(avg=Avg("global_score")).order_by()
    ):
        if (period := periods.get(_key(row["p"]) or (0, 0))) is not None and row["avg"] is not None:
            period.global_score = Decimal(row["avg"]).quantize(Decimal("0.1"))
    if filters.domain is not None:
        domain_rows = (
            DomainScore.objects.filter(audit__in=audits.values("pk"), domain=filters.domain)
            .annotate(p=Trunc("audit__audit_date", kind))
            .values("p")
            .annotate(avg=Avg("score"))
            .order_by()
        )
        for row in domain_rows:
            if (period := periods.get(_key(row["p"]) or (0, 0))) is not None and row["avg"] is not None:
                period.domain_score = Decimal(row["avg"]).quantize(Decimal("0.1"))

    improving, slipping = _ranking(audits)
    standing = PolicyException.objects.filter(project__in=projects.values("pk"), state=State.APPROVED)
    expiring_by = timezone.localdate(now) + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    exceptions = standing.aggregate(
        outstanding=Count("id"), expiring=Count("id", filter=Q(expires_on__lte=expiring_by))
    )
    return Trends(
        filters=filters,
        periods=[periods[(s.year, s.month)] for s in starts],
        exceptions_outstanding=exceptions["outstanding"],
        exceptions_expiring=exceptions["expiring"],
        improving=improving,
        slipping=slipping,
    )


def _ranking(audits: QuerySet[Audit]) -> tuple[list[tuple[Project, Decimal]], list[tuple[Project, Decimal]]]:
    """Projects by the change of their global score between their first and last completed audit
    of the window: the best and the worst changes. One query (two with the projects)."""
    first_last: dict[int, list[Decimal]] = {}
    rows = (
        audits.exclude(global_score__isnull=True)
        .order_by("project_id", "audit_date", "id")
        .values_list("project_id", "global_score")
    )
    for project_id, score in rows:
        pair = first_last.setdefault(project_id, [score, score])
        pair[1] = score
    changes = {pid: last - first for pid, (first, last) in first_last.items() if last != first}
    best = sorted((c for c in changes.items() if c[1] > 0), key=lambda c: (-c[1], c[0]))[:RANKED]
    worst = sorted((c for c in changes.items() if c[1] < 0), key=lambda c: (c[1], c[0]))[:RANKED]
    names = Project.objects.in_bulk([pid for pid, _ in best + worst]) if best or worst else {}
    return [(names[p], c) for p, c in best], [(names[p], c) for p, c in worst]
