"""The trends rollup follows the findings: imports, a fix in the admin, a reopen, a rebuild."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from findings.models import Finding, Severity
from findings.services.scans import scan_import
from findings.tests.helpers import fixture
from scoring.models import (
    FindingFixTime,
    FindingFixTimeTotal,
    FindingMedianTotal,
    FindingMonth,
    FindingMonthTotal,
)
from scoring.trend_rollup import project_trends_refresh

pytestmark = pytest.mark.django_db


def _import(project, name: str) -> None:
    scan_import(project=project, content=fixture(name), file_name=name)


def _totals(project) -> dict[str, int]:
    months = FindingMonth.objects.filter(project=project)
    return months.aggregate(
        discovered=Sum("discovered"),
        fixed=Sum("fixed"),
        fixed_high=Sum("fixed_high"),
        fix_us_high=Sum("fix_us_high"),
        with_sla=Sum("fixed_with_sla"),
    )


def _histogram(project) -> list[tuple[int, int, int]]:
    return list(
        FindingFixTime.objects.filter(project=project)
        .values_list("severity", "tenths", "count")
        .order_by("tenths")
    )


def _portfolio() -> dict[tuple, int]:
    """The portfolio histogram, checked against the projects' rows it must be the sum of
    (and the portfolio's monthly rows likewise)."""
    columns = ("discovered", "fixed", "fixed_in_sla", "fixed_with_sla", "fixed_high", "fix_us_high")
    month_totals = {
        (row[0], row[1]): row[2:]
        for row in FindingMonthTotal.objects.values_list("domain_key", "month", *columns)
        if any(row[2:])
    }
    month_sums: dict[tuple, list[int]] = {}
    for row in FindingMonth.objects.values_list("domain", "month", *columns):
        total = month_sums.setdefault((row[0] or 0, row[1]), [0] * len(columns))
        for i, n in enumerate(row[2:]):
            total[i] += n
    assert month_totals == {k: tuple(v) for k, v in month_sums.items()}
    totals = {
        (d, m, s, t): n
        for d, m, s, t, n in FindingFixTimeTotal.objects.filter(count__gt=0).values_list(
            "domain_key", "month", "severity", "tenths", "count"
        )
    }
    summed: dict[tuple, int] = {}
    for d, m, s, t, n in FindingFixTime.objects.values_list("domain", "month", "severity", "tenths", "count"):
        summed[(d or 0, m, s, t)] = summed.get((d or 0, m, s, t), 0) + n
    assert totals == summed
    _assert_the_medians_are_those_of_the_histogram()
    return totals


def _assert_the_medians_are_those_of_the_histogram() -> None:
    """The portfolio medians kept per period are those of the portfolio histogram: per month
    and quarter, for each domain and for all together, taken here from the sorted values."""
    values: dict[tuple, list[int]] = {}
    for d, m, s, t, n in FindingFixTimeTotal.objects.filter(count__gt=0).values_list(
        "domain_key", "month", "severity", "tenths", "count"
    ):
        quarter = m.replace(month=3 * ((m.month - 1) // 3) + 1)
        for period, start in (("month", m), ("quarter", quarter)):
            for domain_key in (d, FindingMedianTotal.ALL_DOMAINS):
                values.setdefault((period, start, domain_key, s), []).extend([t] * n)
    expected = {}
    for key, tenths in values.items():
        tenths.sort()
        expected[key] = (tenths[(len(tenths) - 1) // 2], tenths[len(tenths) // 2], len(tenths))
    stored = {
        (period, start, domain_key, s): (low, high, n)
        for period, start, domain_key, s, low, high, n in FindingMedianTotal.objects.values_list(
            "period", "start", "domain_key", "severity", "low_tenths", "high_tenths", "count"
        )
    }
    assert stored == expected


def _snapshot() -> tuple[list, list]:
    months = FindingMonth.objects.order_by("project", "domain", "month").values_list(
        "project", "domain", "month", "discovered", "fixed", "fixed_in_sla", "fixed_with_sla", "fix_us_high"
    )
    times = FindingFixTime.objects.order_by("project", "domain", "month", "severity", "tenths").values_list(
        "project", "domain", "month", "severity", "tenths", "count"
    )
    return list(months), list(times)


def test_the_rollup_follows_an_import_a_fix_and_a_reopen(
    project, other_project, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _import(project, "bandit_v1.json")
    assert _totals(project)["discovered"] == 10 and _totals(project)["fixed"] == 0
    assert _histogram(project) == []

    # Fixed by hand, as in the admin: 3.5 days after its first sighting.
    shell = Finding.objects.get(project=project, rule_id="B602")
    assert shell.severity == Severity.HIGH
    shell.status = Finding.Status.FIXED
    shell.fixed_at = shell.first_seen_at + dt.timedelta(days=3, hours=12)
    with django_capture_on_commit_callbacks(execute=True):
        shell.save()
    totals = _totals(project)
    assert (totals["discovered"], totals["fixed"], totals["fixed_high"]) == (10, 1, 1)
    assert totals["fix_us_high"] == 302_400_000_000  # 3.5 days in microseconds
    assert _histogram(project) == [(Severity.HIGH, 35, 1)]
    assert list(_portfolio().values()) == [1]
    fixed_month = FindingMonth.objects.get(project=project, fixed=1)
    local = timezone.localtime(shell.fixed_at, timezone.get_default_timezone())
    assert fixed_month.month == local.date().replace(day=1)

    # The next report lists it again: the import reopens it and resolves B324, gone from v2.
    with django_capture_on_commit_callbacks(execute=True):
        _import(project, "bandit_v2.json")
    shell.refresh_from_db()
    md5 = Finding.objects.get(project=project, rule_id="B324")
    assert shell.status == Finding.Status.OPEN and md5.status == Finding.Status.FIXED
    totals = _totals(project)
    assert (totals["discovered"], totals["fixed"], totals["fixed_high"]) == (11, 1, 1)
    took = md5.fixed_at - md5.first_seen_at
    assert totals["fix_us_high"] == took // dt.timedelta(microseconds=1)
    assert _histogram(project) == [(Severity.HIGH, took // dt.timedelta(hours=2, minutes=24), 1)]
    assert not FindingMonth.objects.filter(project=other_project).exists()
    assert list(_portfolio().values()) == [1]

    # A full rebuild finds exactly the rows the incremental refreshes left.
    before = _snapshot(), _portfolio()
    call_command("rebuild_trends", stdout=StringIO())
    assert (_snapshot(), _portfolio()) == before


def test_the_portfolio_histogram_forgets_a_deleted_project_and_a_deleted_domain(
    project, other_project, security, django_capture_on_commit_callbacks
):
    seen = timezone.now() - dt.timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True):
        for p, days, domain in (
            (project, 2, security),
            (other_project, 2, None),
            (other_project, 5, security),
        ):
            Finding.objects.create(
                project=p,
                title=f"{p.slug} {days}",
                fingerprint=f"{p.slug}-{days}",
                severity=Severity.CRITICAL,
                domain=domain,
                first_seen_at=seen,
                fixed_at=seen + dt.timedelta(days=days),
                status="fixed",
            )
    assert sorted(_portfolio().items()) == sorted(
        {
            (security.pk, _month(seen, 2), Severity.CRITICAL, 20): 1,
            (0, _month(seen, 2), Severity.CRITICAL, 20): 1,
            (security.pk, _month(seen, 5), Severity.CRITICAL, 50): 1,
        }.items()
    )

    with django_capture_on_commit_callbacks(execute=True):
        other_project.delete()
    assert _portfolio() == {(security.pk, _month(seen, 2), Severity.CRITICAL, 20): 1}

    with django_capture_on_commit_callbacks(execute=True):
        security.delete()
    assert _portfolio() == {(0, _month(seen, 2), Severity.CRITICAL, 20): 1}


def _month(seen: dt.datetime, days: int) -> dt.date:
    fixed = timezone.localtime(seen + dt.timedelta(days=days), timezone.get_default_timezone())
    return fixed.date().replace(day=1)


def test_a_refresh_replaces_the_rows_and_ignores_a_deleted_project(project):
    Finding.objects.create(
        project=project, title="x", fingerprint="x", first_seen_at=timezone.now(), severity=Severity.LOW
    )
    FindingMonth.objects.create(project=project, month=dt.date(2020, 1, 1), discovered=99)

    assert project_trends_refresh(project_id=project.pk) == 1
    assert FindingMonth.objects.filter(project=project).aggregate(n=Sum("discovered"))["n"] == 1
    assert project_trends_refresh(project_id=project.pk + 1000) == 0


def test_a_rebuild_counts_the_projects_a_batch_at_a_time(
    project, other_project, security, monkeypatch, django_capture_on_commit_callbacks
):
    """Five projects counted two at a time give the rows and totals their refreshes gave."""
    from projects.models import Project
    from scoring import trend_rollup

    projects = [project, other_project]
    projects += [Project.objects.create(name=f"Batch {i}", slug=f"batch-{i}") for i in range(3)]
    seen = timezone.now() - dt.timedelta(days=60)
    with django_capture_on_commit_callbacks(execute=True):
        for i, p in enumerate(projects):
            for days in range(1, 4 + i):
                Finding.objects.create(
                    project=p,
                    title=f"{p.slug} {days}",
                    fingerprint=f"{p.slug}-{days}",
                    severity=Severity.HIGH if days % 2 else Severity.CRITICAL,
                    domain=security if days % 3 else None,
                    first_seen_at=seen + dt.timedelta(days=i),
                    fixed_at=seen + dt.timedelta(days=i + days * 7),
                    status="fixed",
                )
    before = _snapshot(), _portfolio()
    assert len(before[0][0]) > 5 and len(before[1]) > 5
    FindingMonth.objects.all().delete()
    FindingFixTimeTotal.objects.all().delete()

    monkeypatch.setattr(trend_rollup, "REBUILD_PROJECTS", 2)
    call_command("rebuild_trends", stdout=StringIO())
    assert (_snapshot(), _portfolio()) == before
