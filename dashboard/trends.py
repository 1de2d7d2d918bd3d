"""Trends for managers: per month or quarter, findings discovered and fixed, time to fix by
severity (mean and median), SLA compliance, global scores; exceptions outstanding and expiring;
who is improving and who is slipping. Reads only, in a fixed number of queries whatever the
amount of data, and no finding: counts and means from the monthly rollup (FindingMonth, or its
portfolio totals), medians from the histogram of times to fix of the projects shown
(FindingFixTime), or for the whole portfolio from its medians kept per period
(FindingMedianTotal, see scoring.trend_medians)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Avg,
    Count,
    F,
    Q,
    QuerySet,
    RowRange,
    Sum,
    Window,
)
from django.db.models.functions import FirstValue, LastValue, Trunc
from django.utils import timezone

from findings.models import Severity
from governance.models import PolicyException, State
from projects import access
from projects.models import Audit, DomainScore, MaturityDomain, Project
from scoring.models import FindingFixTime, FindingMedianTotal, FindingMonth, FindingMonthTotal
from scoring.trend_medians import ALL_DOMAINS, median
from scoring.trend_rollup import SEVERITY_COLUMNS

PERIODS = {"month": 12, "quarter": 4}  # how many periods back, the current one included
SEVERITIES = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
RANKED = 5
EXPIRING_WITHIN_DAYS = 30
MICROSECONDS_A_DAY = 86_400_000_000


class TrendsError(ValueError):
    """A filter that names nothing the user may see; the message says which."""


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


def _period_key(month: dt.date, period: str) -> tuple[int, int]:
    return (month.year, month.month if period == "month" else 3 * ((month.month - 1) // 3) + 1)


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
    # Counts, SLA outcomes and mean times to fix from the monthly rollup.
    if everything:  # the portfolio's rows: no project to sum over
        months = FindingMonthTotal.objects.filter(month__gte=first.date())
        if filters.domain is not None:
            months = months.filter(domain_key=filters.domain.pk)
    else:
        months = FindingMonth.objects.filter(month__gte=first.date(), project__in=projects.values("pk"))
        if filters.domain is not None:
            months = months.filter(domain=filters.domain)
    columns = ["discovered", "fixed", "fixed_in_sla", "fixed_with_sla"]
    columns += [f"{part}_{name}" for name in SEVERITY_COLUMNS.values() for part in ("fixed", "fix_us")]
    fixed_count: dict[tuple[tuple[int, int], int], int] = defaultdict(int)
    fixed_us: dict[tuple[tuple[int, int], int], int] = defaultdict(int)
    for row in months.values("month").annotate(**{c: Sum(c) for c in columns}).order_by():
        if (period := periods.get(_period_key(row["month"], filters.period))) is None:
            continue
        period.discovered += row["discovered"]
        period.fixed += row["fixed"]
        period.fixed_in_sla += row["fixed_in_sla"]
        period.fixed_with_sla += row["fixed_with_sla"]
        key = _period_key(row["month"], filters.period)
        for severity, name in SEVERITY_COLUMNS.items():
            fixed_count[(key, severity)] += row[f"fixed_{name}"]
            fixed_us[(key, severity)] += row[f"fix_us_{name}"]
    for (key, severity), n in fixed_count.items():
        if n:
            periods[key].mean_days[severity] = round(fixed_us[(key, severity)] / n / MICROSECONDS_A_DAY, 1)

    # Medians do not add up: they come from the histogram of times to fix (tenths of a day),
    # for the whole portfolio from its medians kept per period.
    if everything:
        medians = FindingMedianTotal.objects.filter(
            period=filters.period,
            start__gte=first.date(),
            domain_key=ALL_DOMAINS if filters.domain is None else filters.domain.pk,
        ).values_list("start", "severity", "low_tenths", "high_tenths")
        for start, severity, low, high in medians:
            if (period := periods.get((start.year, start.month))) is not None:
                period.median_days[severity] = round((low + high) / 2 / 10, 1)
    else:
        buckets = FindingFixTime.objects.filter(month__gte=first.date(), project__in=projects.values("pk"))
        if filters.domain is not None:
            buckets = buckets.filter(domain=filters.domain)
        histograms: dict[tuple[tuple[int, int], int], dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for month, severity, tenths, n in (
            buckets.values("month", "severity", "tenths")
            .annotate(n=Sum("count"))
            .order_by()
            .values_list("month", "severity", "tenths", "n")
        ):
            histograms[(_period_key(month, filters.period), severity)][tenths] += n
        for (key, severity), histogram in histograms.items():
            if (period := periods.get(key)) is not None:
                period.median_days[severity] = round(median(histogram) / 10, 1)

    audits = Audit.objects.filter(status=Audit.Status.COMPLETED, audit_date__gte=first.date())
    if not everything:
        audits = audits.filter(project__in=projects.values("pk"))
    for row in (
        audits.annotate(p=Trunc("audit_date", filters.period))
        .values("p")
        .annotate(avg=Avg("global_score"))
        .order_by()
    ):
        if (period := periods.get(_key(row["p"]) or (0, 0))) is not None and row["avg"] is not None:
            period.global_score = Decimal(row["avg"]).quantize(Decimal("0.1"))
    if filters.domain is not None:
        domain_rows = (
            DomainScore.objects.filter(audit__in=audits.values("pk"), domain=filters.domain)
            .annotate(p=Trunc("audit__audit_date", filters.period))
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
    of the window: the best and the worst changes. One query, one row per project (two with the
    projects)."""
    window: dict[str, Any] = {
        "partition_by": [F("project_id")],
        "order_by": [F("audit_date").asc(), F("id").asc()],
        "frame": RowRange(start=None, end=None),
    }
    rows = (
        audits.exclude(global_score__isnull=True)
        .annotate(
            first=Window(FirstValue("global_score"), **window),
            last=Window(LastValue("global_score"), **window),
        )
        .values_list("project_id", "first", "last")
        .order_by()
        .distinct()
    )
    changes = {pid: last - first for pid, first, last in rows if last != first}
    best = sorted((c for c in changes.items() if c[1] > 0), key=lambda c: (-c[1], c[0]))[:RANKED]
    worst = sorted((c for c in changes.items() if c[1] < 0), key=lambda c: (c[1], c[0]))[:RANKED]
    names = Project.objects.in_bulk([pid for pid, _ in best + worst]) if best or worst else {}
    return [(names[p], c) for p, c in best], [(names[p], c) for p, c in worst]
