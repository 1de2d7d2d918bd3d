"""Median times to fix of the whole portfolio, per month and per quarter (FindingMedianTotal).

A median does not add up: the trends page cannot sum it from months, domains or projects, and
the portfolio histogram of a year (FindingFixTimeTotal) is some hundred thousand rows, too many
to read on every view. So each change of that histogram recomputes the medians of the periods
it touched (the month and its quarter), for the domain it touched and for all domains together,
from the histogram rows of the period; the page reads at most one row per period and severity.

Refreshes of different projects run side by side: the medians are recomputed under one lock
(on PostgreSQL a transaction-level advisory lock, taken after the histogram was changed), so the
last refresh to take it reads every committed change and its own.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection
from django.db.models import Sum

from scoring.models import FindingFixTimeTotal, FindingMedianTotal

ALL_DOMAINS = FindingMedianTotal.ALL_DOMAINS
PERIOD_MONTHS = {"month": 1, "quarter": 3}
# Any constant: the advisory lock the median recomputations of refreshes queue on.
MEDIANS_LOCK = 7_301_215

Scope = tuple[str, dt.date, int]  # period, first day, domain key (ALL_DOMAINS: every domain)


def period_start(month: dt.date, period: str) -> dt.date:
    """The first day of the month or quarter a month belongs to."""
    if period == "month":
        return month.replace(day=1)
    return month.replace(month=3 * ((month.month - 1) // 3) + 1, day=1)


def _period_end(start: dt.date, period: str) -> dt.date:
    year, month = divmod(start.month - 1 + PERIOD_MONTHS[period], 12)
    return start.replace(year=start.year + year, month=month + 1)


def median_positions(histogram: Mapping[int, int]) -> tuple[int, int] | None:
    """The middle value(s) of a histogram {value: how many times}: (low, high), equal for an odd
    count; their mean is the median, as statistics.median. None for an empty histogram."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    low, high = (total - 1) // 2, total // 2  # positions of the middle value(s), from 0
    seen, found = 0, []
    for value in sorted(histogram):
        seen += histogram[value]
        while len(found) < 2 and seen > (low, high)[len(found)]:
            found.append(value)
        if len(found) == 2:
            break
    return found[0], found[1]


def median(histogram: Mapping[int, int]) -> float:
    positions = median_positions(histogram)
    if positions is None:
        raise ValueError("The median of an empty histogram.")
    return (positions[0] + positions[1]) / 2


def scopes_of(keys: Iterable[tuple[int, dt.date]]) -> set[Scope]:
    """The medians a change of the histogram rows of these (domain key, month) moves."""
    scopes: set[Scope] = set()
    for domain_key, month in keys:
        for period in PERIOD_MONTHS:
            start = period_start(month, period)
            scopes.add((period, start, domain_key))
            scopes.add((period, start, ALL_DOMAINS))
    return scopes


def _rows(histograms: Mapping[Scope, Mapping[int, Mapping[int, int]]], median_model: Any) -> list[Any]:
    rows = []
    for (period, start, domain_key), by_severity in histograms.items():
        for severity, histogram in sorted(by_severity.items()):
            positions = median_positions(histogram)
            if positions is not None:
                rows.append(
                    median_model(
                        period=period,
                        start=start,
                        domain_key=domain_key,
                        severity=severity,
                        low_tenths=positions[0],
                        high_tenths=positions[1],
                        count=sum(histogram.values()),
                    )
                )
    return rows


def medians_refresh(scopes: Iterable[Scope]) -> None:
    """Recompute these medians from the portfolio histogram; call it inside the transaction
    that changed the histogram, after the change (the lock is held until it commits)."""
    scopes = sorted(set(scopes))
    if not scopes:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MEDIANS_LOCK])
    histograms: dict[Scope, dict[int, dict[int, int]]] = {}
    for period, start, domain_key in scopes:
        rows = FindingFixTimeTotal.objects.filter(
            month__gte=start, month__lt=_period_end(start, period), count__gt=0
        )
        if domain_key != ALL_DOMAINS:
            rows = rows.filter(domain_key=domain_key)
        by_severity: dict[int, dict[int, int]] = defaultdict(dict)
        for severity, tenths, n in (
            rows.values("severity", "tenths")
            .annotate(n=Sum("count"))
            .order_by()
            .values_list("severity", "tenths", "n")
        ):
            by_severity[severity][tenths] = n
        histograms[(period, start, domain_key)] = by_severity
        FindingMedianTotal.objects.filter(period=period, start=start, domain_key=domain_key).delete()
    FindingMedianTotal.objects.bulk_create(_rows(histograms, FindingMedianTotal))


def medians_rebuild(*, total_model: Any = None, median_model: Any = None) -> int:
    """Every median again from the whole portfolio histogram (after rebuild_trends, or a
    migration that passes its historical models); returns how many rows."""
    total_model = total_model or FindingFixTimeTotal
    median_model = median_model or FindingMedianTotal
    histograms: dict[Scope, dict[int, dict[int, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    rows = (
        total_model.objects.filter(count__gt=0)
        .values_list("domain_key", "month", "severity", "tenths", "count")
        .iterator(chunk_size=5000)
    )
    for domain_key, month, severity, tenths, n in rows:
        for scope in scopes_of([(domain_key, month)]):
            histograms[scope][severity][tenths] += n
    median_model.objects.all().delete()
    return len(median_model.objects.bulk_create(_rows(histograms, median_model), batch_size=2000))
