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
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from findings.models import Finding
from projects.events import once_after_commit
from projects.models import Project
from scoring.models import FindingFixTime, FindingMonth

# The severities whose time to fix is kept, by Finding.severity value (see findings.models.Severity).
SEVERITY_COLUMNS = {4: "critical", 3: "high", 2: "medium", 1: "low"}
FIXED = "fixed"
BATCH_SIZE = 2000
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


def _create(month_model: Any, fix_time_model: Any, findings: Any) -> int:
    months: Iterable[Any] = (
        month_model(project_id=project_id, domain_id=domain_id, month=month, **values)
        for (project_id, domain_id, month), values in _counts(findings).items()
    )
    created = len(month_model.objects.bulk_create(list(months), batch_size=BATCH_SIZE))
    buckets = [
        fix_time_model(
            project_id=project_id, domain_id=domain_id, month=month, severity=severity, tenths=tenths, count=n
        )
        for (project_id, domain_id, month, severity, tenths), n in _histogram(findings).items()
    ]
    fix_time_model.objects.bulk_create(buckets, batch_size=BATCH_SIZE)
    return created


def project_trends_refresh(*, project_id: int) -> int:
    """Recount one project's rows from its findings; returns how many monthly rows it has now.
    The project row is locked so two refreshes of one project never interleave."""
    with transaction.atomic():
        if not Project.objects.select_for_update().filter(pk=project_id).exists():
            return 0  # deleted in the meantime: its rows went with it
        FindingMonth.objects.filter(project_id=project_id).delete()
        FindingFixTime.objects.filter(project_id=project_id).delete()
        return _create(FindingMonth, FindingFixTime, Finding.objects.filter(project_id=project_id))


def trends_rebuild(*, finding_model: Any = None, month_model: Any = None, fix_time_model: Any = None) -> int:
    """Recount every project's rows in one transaction (the page keeps reading the old rows
    until it commits); returns the number of monthly rows. The data migration passes its
    historical models."""
    finding_model = finding_model or Finding
    month_model = month_model or FindingMonth
    fix_time_model = fix_time_model or FindingFixTime
    with transaction.atomic():
        month_model.objects.all().delete()
        fix_time_model.objects.all().delete()
        return _create(month_model, fix_time_model, finding_model.objects.all())


def schedule_trends_refresh(*, project_id: int) -> None:
    """Recount the project's rows once the current transaction commits, once per transaction."""
    once_after_commit(("trends", project_id), lambda: project_trends_refresh(project_id=project_id))
