"""The monthly rollup of findings the trends page reads (scoring.models.FindingMonth).

A project's rows are recounted from its findings as a whole, never adjusted by a delta: a
refresh is idempotent, so a missed or repeated one cannot leave a figure wrong for longer than
the next change of the project. Months are calendar months in the TIME_ZONE setting, the time
zone the trends page groups its periods in.

FindingMonth holds the counts, SLA outcomes and summed times to fix (means add up exactly);
FindingFixTime the histogram of times to fix in tenths of a day the medians are read from.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from findings.models import Finding
from projects.events import once_after_commit
from projects.models import Project
from scoring.models import FindingFixTime, FindingFixTimeTotal, FindingMonth, FindingMonthTotal
from scoring.trend_medians import medians_rebuild, medians_refresh, scopes_of

# The severities whose time to fix is kept, by Finding.severity value (see findings.models.Severity).
logger = logging.getLogger(__name__)

SEVERITY_COLUMNS = {4: "critical", 3: "high", 2: "medium", 1: "low"}
FIXED = "fixed"
BATCH_SIZE = 2000
# Projects whose findings a full rebuild counts at a time.
REBUILD_PROJECTS = 200
MICROSECOND = dt.timedelta(microseconds=1)
TENTH_OF_A_DAY = dt.timedelta(hours=2, minutes=24)

Key = tuple[int, int | None, dt.date]


def _month(value: dt.datetime) -> dt.date:
    if timezone.is_aware(value):
        value = timezone.localtime(value, timezone.get_default_timezone())
    return value.date().replace(day=1)


def _counts(findings: Any) -> dict[Key, dict[str, int]]:
    """Rows of the monthly rollup for these findings, keyed by (project, domain, month): two
    grouped queries, whatever the number of findings."""
    tz = timezone.get_default_timezone()
    rows: dict[Key, dict[str, int]] = {}

    def row(project_id: int, domain_id: int | None, month: dt.datetime) -> dict[str, int]:
        return rows.setdefault((project_id, domain_id, _month(month)), {})

    discovered = (
        findings.filter(first_seen_at__isnull=False)
        .annotate(m=TruncMonth("first_seen_at", tzinfo=tz))
        .values("project_id", "domain_id", "m")
        .annotate(n=Count("id"))
        .order_by()
    )
    for found in discovered:
        row(found["project_id"], found["domain_id"], found["m"])["discovered"] = found["n"]

    took = ExpressionWrapper(F("fixed_at") - F("first_seen_at"), output_field=DurationField())
    sums: dict[str, Any] = {
        "n": Count("id"),
        "in_sla": Count("id", filter=Q(fixed_within_sla=True)),
        "with_sla": Count("id", filter=Q(fixed_within_sla__isnull=False)),
    }
    for value, name in SEVERITY_COLUMNS.items():
        sums[f"fixed_{name}"] = Count("id", filter=Q(severity=value))
        sums[f"fix_us_{name}"] = Sum(took, filter=Q(severity=value))
    fixed = (
        findings.filter(status=FIXED, fixed_at__isnull=False, first_seen_at__isnull=False)
        .annotate(m=TruncMonth("fixed_at", tzinfo=tz))
        .values("project_id", "domain_id", "m")
        .annotate(**sums)
        .order_by()
    )
    for done in fixed:
        target = row(done["project_id"], done["domain_id"], done["m"])
        target.update(fixed=done["n"], fixed_in_sla=done["in_sla"], fixed_with_sla=done["with_sla"])
        for name in SEVERITY_COLUMNS.values():
            target[f"fixed_{name}"] = done[f"fixed_{name}"]
            total = done[f"fix_us_{name}"]
            target[f"fix_us_{name}"] = 0 if total is None else total // MICROSECOND
    return rows


def _histogram(findings: Any) -> dict[tuple[int, int | None, dt.date, int, int], int]:
    """How many fixed findings took each tenth of a day to fix, keyed by (project, domain,
    month fixed, severity, tenths). The durations are bucketed here, the same way on every
    database; one query, read in chunks."""
    counts: dict[tuple[int, int | None, dt.date, int, int], int] = defaultdict(int)
    rows = findings.filter(
        status=FIXED, fixed_at__isnull=False, first_seen_at__isnull=False, severity__in=SEVERITY_COLUMNS
    ).values_list("project_id", "domain_id", "severity", "first_seen_at", "fixed_at")
    for project_id, domain_id, severity, first_seen_at, fixed_at in rows.iterator(chunk_size=BATCH_SIZE):
        # A fix recorded before the first sighting (hand-edited dates) counts as instant.
        tenths = max(0, (fixed_at - first_seen_at) // TENTH_OF_A_DAY)
        counts[(project_id, domain_id, _month(fixed_at), severity, tenths)] += 1
    return counts


HistogramKey = tuple[int, dt.date, int, int]  # domain (0: none), month, severity, tenths
MonthKey = tuple[int, dt.date]  # domain (0: none), month
MONTH_COLUMNS = (
    "discovered",
    "fixed",
    "fixed_in_sla",
    "fixed_with_sla",
    *(f"fixed_{name}" for name in SEVERITY_COLUMNS.values()),
    *(f"fix_us_{name}" for name in SEVERITY_COLUMNS.values()),
)


def _create(
    month_model: Any, fix_time_model: Any, findings: Any
) -> tuple[int, dict[MonthKey, dict[str, int]], dict[HistogramKey, int]]:
    """Writes the rows of these findings; returns how many monthly rows, and the monthly rows
    and the histogram summed over the projects."""
    counts = _counts(findings)
    months: Iterable[Any] = (
        month_model(project_id=project_id, domain_id=domain_id, month=month, **values)
        for (project_id, domain_id, month), values in counts.items()
    )
    created = len(month_model.objects.bulk_create(list(months), batch_size=BATCH_SIZE))
    month_totals: dict[MonthKey, dict[str, int]] = {}
    for (_project_id, domain_id, month), values in counts.items():
        total = month_totals.setdefault((domain_id or 0, month), dict.fromkeys(MONTH_COLUMNS, 0))
        for column, n in values.items():
            total[column] += n
    buckets, totals = [], defaultdict(int)
    for (project_id, domain_id, month, severity, tenths), n in _histogram(findings).items():
        buckets.append(
            fix_time_model(
                project_id=project_id,
                domain_id=domain_id,
                month=month,
                severity=severity,
                tenths=tenths,
                count=n,
            )
        )
        totals[(domain_id or 0, month, severity, tenths)] += n
    fix_time_model.objects.bulk_create(buckets, batch_size=BATCH_SIZE)
    return created, month_totals, totals


def _project_months(project_id: int) -> dict[MonthKey, dict[str, int]]:
    totals: dict[MonthKey, dict[str, int]] = {}
    for row in FindingMonth.objects.filter(project_id=project_id).values(
        "domain_id", "month", *MONTH_COLUMNS
    ):
        total = totals.setdefault((row["domain_id"] or 0, row["month"]), dict.fromkeys(MONTH_COLUMNS, 0))
        for column in MONTH_COLUMNS:
            total[column] += row[column]
    return totals


def _add_to_month_totals(
    before: dict[MonthKey, dict[str, int]], after: dict[MonthKey, dict[str, int]]
) -> None:
    """Adds the difference to the portfolio's monthly rows, keys in order: an update where the
    project had the row before (the total row exists and counts it), otherwise an adding
    upsert of the new, positive counts."""
    columns, values = ", ".join(MONTH_COLUMNS), ", ".join(["%s"] * len(MONTH_COLUMNS))
    upsert = (
        f"INSERT INTO scoring_findingmonthtotal (domain_key, month, {columns}) "  # noqa: S608 (constant names)
        f"VALUES (%s, %s, {values}) ON CONFLICT (domain_key, month) DO UPDATE SET "
        + ", ".join(f"{c} = scoring_findingmonthtotal.{c} + EXCLUDED.{c}" for c in MONTH_COLUMNS)
    )
    update = (
        "UPDATE scoring_findingmonthtotal SET "  # noqa: S608 (constant names)
        + ", ".join(f"{c} = {c} + %s" for c in MONTH_COLUMNS)
        + " WHERE domain_key = %s AND month = %s"
    )
    zero = dict.fromkeys(MONTH_COLUMNS, 0)
    with connection.cursor() as cursor:
        for key in sorted(before.keys() | after.keys()):
            old, new = before.get(key, zero), after.get(key, zero)
            change = [new[c] - old[c] for c in MONTH_COLUMNS]
            if not any(change):
                continue
            if key in before:
                cursor.execute(update, [*change, *key])
            else:
                cursor.execute(upsert, [*key, *change])


def _project_histogram(project_id: int) -> dict[HistogramKey, int]:
    counts: dict[HistogramKey, int] = defaultdict(int)
    rows = FindingFixTime.objects.filter(project_id=project_id).values_list(
        "domain_id", "month", "severity", "tenths", "count"
    )
    for domain_id, month, severity, tenths, n in rows:
        counts[(domain_id or 0, month, severity, tenths)] += n
    return counts


def _add_to_totals(changes: dict[HistogramKey, int]) -> None:
    """Adds each change to the portfolio histogram, a batch per statement: an upsert that adds
    for the rises, an update for the falls (their rows exist: the project's rows counted them),
    so refreshes of different projects may run at the same time. Then the portfolio medians of
    the periods it changed are computed again."""
    upsert = (
        "INSERT INTO scoring_findingfixtimetotal (domain_key, month, severity, tenths, count) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (domain_key, month, severity, tenths) "
        "DO UPDATE SET count = scoring_findingfixtimetotal.count + EXCLUDED.count"
    )
    lower = (
        "UPDATE scoring_findingfixtimetotal SET count = count + %s "
        "WHERE domain_key = %s AND month = %s AND severity = %s AND tenths = %s"
    )
    # Runs of rises and of falls in key order, so the locks are taken in key order throughout.
    batches: list[tuple[str, list[tuple]]] = []
    for key, n in sorted(changes.items()):
        if not n:
            continue
        sql, row = (upsert, (*key, n)) if n > 0 else (lower, (n, *key))
        if not batches or batches[-1][0] != sql or len(batches[-1][1]) >= BATCH_SIZE:
            batches.append((sql, []))
        batches[-1][1].append(row)
    with connection.cursor() as cursor:
        for sql, rows in batches:
            cursor.executemany(sql, rows)
    medians_refresh(scopes_of({(key[0], key[1]) for key, n in changes.items() if n}))


def project_trends_refresh(*, project_id: int) -> int:
    """Recount one project's rows from its findings and move the portfolio histogram by the
    difference; returns how many monthly rows the project has now. The project row is locked
    so two refreshes of one project never interleave."""
    with transaction.atomic():
        if not Project.objects.select_for_update().filter(pk=project_id).exists():
            return 0  # deleted in the meantime: its rows went with it
        months_before, before = _project_months(project_id), _project_histogram(project_id)
        FindingMonth.objects.filter(project_id=project_id).delete()
        FindingFixTime.objects.filter(project_id=project_id).delete()
        created, months_after, after = _create(
            FindingMonth, FindingFixTime, Finding.objects.filter(project_id=project_id)
        )
        _add_to_month_totals(months_before, months_after)
        _add_to_totals({key: after.get(key, 0) - before.get(key, 0) for key in before.keys() | after.keys()})
        return created


def project_trends_forget(*, project_id: int) -> None:
    """Take a project about to be deleted out of the portfolio totals (its own rows go with it
    by cascade)."""
    _add_to_month_totals(_project_months(project_id), {})
    _add_to_totals({key: -n for key, n in _project_histogram(project_id).items()})


def _write_month_totals(month_total_model: Any, totals: dict[MonthKey, dict[str, int]]) -> None:
    month_total_model.objects.all().delete()
    month_total_model.objects.bulk_create(
        (month_total_model(domain_key=d, month=month, **values) for (d, month), values in totals.items()),
        batch_size=BATCH_SIZE,
    )


def _write_totals(total_model: Any, totals: dict[HistogramKey, int]) -> None:
    total_model.objects.all().delete()
    total_model.objects.bulk_create(
        (
            total_model(domain_key=domain_key, month=month, severity=severity, tenths=tenths, count=n)
            for (domain_key, month, severity, tenths), n in totals.items()
            if n
        ),
        batch_size=BATCH_SIZE,
    )


def trends_rebuild(*, finding_model: Any = None, month_model: Any = None, fix_time_model: Any = None) -> int:
    """Recount every project's rows and the portfolio histogram in one transaction (the page
    keeps reading the old rows until it commits), every project locked so no refresh runs
    meanwhile; returns the number of monthly rows. The projects are counted a batch at a time,
    then the portfolio totals are summed from their rows by the database: the memory used is
    that of one batch, whatever the number of findings (10 million findings of 10,000 projects
    counted at once took 4 GB). The data migration that created the two per-project tables
    passes its historical models (the portfolio histogram came later)."""
    with transaction.atomic():
        findings = (finding_model or Finding).objects
        if finding_model is None:
            ids = Project.objects.select_for_update().order_by("pk").values_list("pk", flat=True)
        else:
            ids = findings.order_by("project_id").values_list("project_id", flat=True).distinct()
        project_ids = list(ids)
        month_model = month_model or FindingMonth
        fix_time_model = fix_time_model or FindingFixTime
        month_model.objects.all().delete()
        fix_time_model.objects.all().delete()
        created = 0
        for start in range(0, len(project_ids), REBUILD_PROJECTS):
            batch = project_ids[start : start + REBUILD_PROJECTS]
            created += _create(month_model, fix_time_model, findings.filter(project_id__in=batch))[0]
        if finding_model is None:
            trends_totals_rebuild()
        return created


def trends_totals_rebuild(
    *,
    fix_time_model: Any = None,
    total_model: Any = None,
    month_model: Any = None,
    month_total_model: Any = None,
) -> None:
    """Sum the portfolio totals again from the projects' rows (after a domain is deleted: its
    projects' rows lose their domain, its totals would keep it). The migrations pass their
    historical models; only the tables whose models are given or all when none is."""
    defaults = not any((fix_time_model, total_model, month_model, month_total_model))
    with transaction.atomic():
        if defaults:
            list(Project.objects.select_for_update().values_list("pk", flat=True))
            month_model, month_total_model = FindingMonth, FindingMonthTotal
        if month_model is not None:
            months = (
                month_model.objects.values("domain_id", "month")
                .annotate(**{f"sum_{c}": Sum(c) for c in MONTH_COLUMNS})
                .order_by()
            )
            _write_month_totals(
                month_total_model,
                {
                    (row["domain_id"] or 0, row["month"]): {c: row[f"sum_{c}"] for c in MONTH_COLUMNS}
                    for row in months
                },
            )
        if not defaults and fix_time_model is None:
            return
        rows = (
            (fix_time_model or FindingFixTime)
            .objects.values("domain_id", "month", "severity", "tenths")
            .annotate(n=Sum("count"))
            .order_by()
            .values_list("domain_id", "month", "severity", "tenths", "n")
        )
        totals = {(d or 0, month, severity, tenths): n for d, month, severity, tenths, n in rows}
        _write_totals(total_model or FindingFixTimeTotal, totals)
        if defaults:
            medians_rebuild()


def schedule_trends_refresh(*, project_id: int) -> None:
    """Recount the project's rows once the current transaction commits, once per transaction.
    A failure is logged, never raised: the change it follows is committed already, and the next
    refresh of the project (or rebuild_trends) recounts everything."""

    def run() -> None:
        try:
            project_trends_refresh(project_id=project_id)
        except DatabaseError:
            logger.exception("Trends rollup of project %s not refreshed", project_id)

    once_after_commit(("trends", project_id), run)


def schedule_trends_totals_rebuild() -> None:
    once_after_commit(("trends-totals",), trends_totals_rebuild)
