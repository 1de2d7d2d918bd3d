"""The trends page's average domain score per period has a covering index, (domain, audit)
INCLUDE (score), so PostgreSQL can read it without visiting the table (PostgreSQL).

Whether the planner picks it depends on the table's size: on the benchmark's 180,000 scores it
reads it alone (an index-only scan, measured in the commit that added it); on a test's dozen
rows it may rightly drive the join from audits through the unique (audit, domain) index, so the
plan is not asserted here, only the index and the figures it serves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Avg
from django.db.models.functions import Trunc

from projects.models import Audit, DomainScore, MaturityDomain


@pytest.mark.postgresql
@pytest.mark.django_db
def test_the_per_period_domain_average_has_a_covering_index(project):
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'domainscore_domain_audit_cover'")
        [(definition,)] = cursor.fetchall()

    assert "(domain_id, audit_id) INCLUDE (score)" in definition
    assert sorted(float(row["avg"]) for row in per_quarter) == [1.0, 2.0, 5.0, 8.0]
