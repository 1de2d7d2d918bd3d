"""The trends page's average domain score per period is read from the covering index
(domain, audit) INCLUDE (score) alone, without visiting the table (PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Avg
from django.db.models.functions import Trunc

from projects.models import Audit, DomainScore, MaturityDomain


@pytest.mark.django_db
def test_the_per_period_domain_average_reads_the_covering_index(project):
    if connection.vendor != "postgresql":
        pytest.skip("index-only scans are PostgreSQL's")
    domain = MaturityDomain.objects.get(slug="security")
    for month in range(1, 13):
        audit = Audit.objects.create(
            project=project,
            title=f"A{month}",
            status=Audit.Status.COMPLETED,
            audit_date=dt.date(2026, month, 1),
        )
        DomainScore.objects.create(audit=audit, domain=domain, score=month % 10)
    audits = Audit.objects.filter(status=Audit.Status.COMPLETED, audit_date__gte=dt.date(2026, 1, 1))
    per_quarter = (
        DomainScore.objects.filter(audit__in=audits.values("pk"), domain=domain)
        .annotate(p=Trunc("audit__audit_date", "quarter"))
        .values("p")
        .annotate(avg=Avg("score"))
        .order_by()
    )
    # Twelve rows: without these the planner rightly reads the table (the benchmark's 180,000
    # rows pick the index by themselves).
    # Fresh statistics: what autovacuum last saw (rows of earlier transactional tests) must not
    # steer the plan.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE projects_domainscore")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'domainscore_domain_audit_cover'")
        [(definition,)] = cursor.fetchall()
    plan = per_quarter.explain()

    assert "(domain_id, audit_id) INCLUDE (score)" in definition
    assert "using domainscore_domain_audit_cover on projects_domainscore" in plan, plan
    assert sorted(float(row["avg"]) for row in per_quarter) == [1.0, 2.0, 5.0, 8.0]
