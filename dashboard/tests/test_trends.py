"""The trends page checked against a dataset computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboard import trends
from findings.models import Finding, Severity
from governance.models import PolicyException
from projects.models import Audit
from scoring.trend_medians import median

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=9, tzinfo=dt.UTC)


@pytest.fixture
def dataset(project, other_project, tech_lead, auditor_user, django_capture_on_commit_callbacks):
    rows = [
        # title, severity, first seen, fixed, fixed within SLA
        ("F1", Severity.CRITICAL, "2026-04-02", "2026-04-06", True),
        ("F2", Severity.CRITICAL, "2026-04-10", "2026-04-20", False),
        ("F6", Severity.CRITICAL, "2026-04-15", "2026-04-22", True),
        ("F3", Severity.HIGH, "2026-05-01", "2026-05-31", True),
        ("F4", Severity.HIGH, "2026-05-03", None, None),
        ("F5", Severity.MEDIUM, "2025-12-01", "2026-06-01", False),
        ("old", Severity.LOW, "2025-05-01", "2025-05-02", True),  # before the window
    ]
    # Saved as the admin would: the rollup the page reads follows through its after-commit
    # refresh (run before the audits exist, so no score is recomputed over the stated ones).
    with django_capture_on_commit_callbacks(execute=True):
        for title, severity, seen, fixed, in_sla in rows:
            Finding.objects.create(
                project=project,
                title=title,
                fingerprint=title,
                severity=severity,
                first_seen_at=at(seen),
                fixed_at=at(fixed) if fixed else None,
                status="fixed" if fixed else "open",
                fixed_within_sla=in_sla,
            )
        Finding.objects.create(
            project=other_project, title="theirs", fingerprint="t", first_seen_at=at("2026-04-03")
        )
    mine = Finding.objects.get(title="F4")
    for days in (10, 60):
        PolicyException.objects.create(
            project=project,
            target="rule",
            tool="bandit",
            rule_id=f"B{days}",
            reason="mitigated",
            justification="x",
            state="approved",
            requested_by=tech_lead,
            approved_by=auditor_user,
            expires_on=NOW.date() + dt.timedelta(days=days),
        )
    assert mine.status == "open"
    for p, scores in ((project, ("5.0", "6.5")), (other_project, ("7.0", "6.0"))):
        for day, score in zip(("2026-02-01", "2026-05-01"), scores, strict=True):
            Audit.objects.create(
                project=p,
                title=day,
                status="completed",
                audit_date=dt.date.fromisoformat(day),
                global_score=score,
            )


def periods(user, **params):
    data = trends.trends(user, trends.parse_filters(user, params), now=NOW)
    return data, {p.label: p for p in data.periods}


def test_months_against_the_hand_computed_figures(dataset, tech_lead):
    data, by = periods(tech_lead)

    assert [p.label for p in data.periods][0] == "2025-07" and data.periods[-1].label == "2026-06"
    april, may, june = by["2026-04"], by["2026-05"], by["2026-06"]
    assert (april.discovered, april.fixed, april.sla_percent) == (3, 3, 66.7)
    assert (april.mean_days[Severity.CRITICAL], april.median_days[Severity.CRITICAL]) == (7.0, 7.0)
    assert (may.discovered, may.fixed, may.sla_percent, may.mean_days[Severity.HIGH]) == (2, 1, 100.0, 30.0)
    assert (june.fixed, june.sla_percent, june.median_days[Severity.MEDIUM]) == (1, 0.0, 182.0)
    assert by["2025-12"].discovered == 1 and sum(p.discovered for p in data.periods) == 6
    assert by["2026-05"].global_score == Decimal("6.5") and by["2026-02"].global_score == Decimal("5.0")
    assert (data.exceptions_outstanding, data.exceptions_expiring) == (2, 1)
    assert [(p.slug, c) for p, c in data.improving] == [("champion-clone", Decimal("1.5"))]
    assert data.slipping == []  # the other project is not the lead's


def test_quarters_and_the_whole_portfolio_for_a_manager(dataset, manager):
    data, by = periods(manager, period="quarter")

    q2 = by["2026 Q2"]
    assert [p.label for p in data.periods] == ["2025 Q3", "2025 Q4", "2026 Q1", "2026 Q2"]
    assert (q2.discovered, q2.fixed, q2.sla_percent) == (6, 5, 60.0)
    assert [(p.slug, c) for p, c in data.slipping] == [("aetherflow", Decimal("-1.0"))]


def test_the_whole_portfolio_reads_its_medians_kept_per_period(
    dataset, manager, security, django_capture_on_commit_callbacks
):
    data, by = periods(manager)
    assert by["2026-04"].median_days[Severity.CRITICAL] == 7.0  # 4, 7 and 10 days
    assert by["2026-06"].median_days[Severity.MEDIUM] == 182.0
    _data, by = periods(manager, period="quarter")
    assert by["2026 Q2"].median_days == {Severity.CRITICAL: 7.0, Severity.HIGH: 30.0, Severity.MEDIUM: 182.0}

    f2 = Finding.objects.get(title="F2")  # 10 days: two critical findings in Security now
    f6 = Finding.objects.get(title="F6")  # 7 days
    with django_capture_on_commit_callbacks(execute=True):
        for finding in (f2, f6):
            finding.domain = security
            finding.save()
    _data, by = periods(manager, domain="security")
    assert by["2026-04"].median_days == {Severity.CRITICAL: 8.5}  # the mean of the middle two
    _data, by = periods(manager, domain="security", period="quarter")
    assert by["2026 Q2"].median_days == {Severity.CRITICAL: 8.5}


def test_filters_by_project_lead_and_domain(
    dataset, manager, other_project, other_tech_lead, security, django_capture_on_commit_callbacks
):
    _data, by = periods(manager, project=other_project.slug)
    assert by["2026-04"].discovered == 1
    _data, by = periods(manager, lead=str(other_tech_lead.pk))
    assert by["2026-04"].discovered == 1
    f1 = Finding.objects.get(title="F1")
    f1.domain = security
    with django_capture_on_commit_callbacks(execute=True):
        f1.save()
    _data, by = periods(manager, domain="security")
    assert (by["2026-04"].discovered, by["2026-04"].fixed) == (1, 1)


def test_the_page_the_csv_and_bad_input(client, dataset, tech_lead, other_project):
    client.force_login(tech_lead)

    page = client.get(reverse("trends"))
    csv = client.get(reverse("trends-csv"), {"period": "quarter"}).content.decode()
    bad = client.get(reverse("trends"), {"period": "year"})
    theirs = client.get(reverse("trends"), {"project": other_project.slug})

    assert page.status_code == 200 and 'id="trends-table"' in page.content.decode()
    assert "<svg" in page.content.decode()
    assert csv.splitlines()[0].startswith("period,discovered,fixed,fixed within SLA %")
    assert "2026 Q2,5,5,60.0" in csv  # the other project's finding is not the lead's
    assert bad.status_code == 400 and "Unknown period &#x27;year&#x27;" in bad.content.decode()
    assert (
        theirs.status_code == 400
        and "No project &#x27;aetherflow&#x27; among yours" in theirs.content.decode()
    )


def test_the_number_of_queries_does_not_grow_with_the_data(dataset, manager, project):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            trends.trends(manager, trends.Filters(), now=NOW)
        return len(queries)

    count()  # the user's groups are read once, then cached on the user
    before = count()
    Finding.objects.bulk_create(
        Finding(
            project=project,
            title=f"more {n}",
            fingerprint=f"more-{n}",
            severity=n % 5,
            first_seen_at=at("2026-03-01"),
            fixed_at=at("2026-03-09"),
            status="fixed",
        )
        for n in range(200)
    )

    assert count() == before


def test_the_median_of_a_histogram_is_that_of_its_values():
    assert median({70: 1, 40: 1, 100: 1}) == 70
    assert median({10: 1, 30: 1}) == 20
    assert median({5: 2, 7: 1}) == 5
    assert median({1: 1, 2: 2, 9: 1}) == 2
    assert median({1: 1, 3: 0, 4: 1}) == 2.5
