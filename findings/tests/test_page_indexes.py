"""The filtered findings lists have their indexes, and PostgreSQL can answer the very queries the
pages run from them: the findings admin filtered by status and severity (its page and its capped
count), and the API's findings of a status and severity by SLA due date.

At 10 million findings the planner picks these indexes by itself (bench/bench_pages.py). On a
test's few hundred rows a sequential scan or a sort is rightly cheaper, so those are switched off
for the EXPLAIN: what is checked is that the index serves the page's query, filter and order,
not which plan a few hundred rows deserve. The counts that must not visit the table run after a
VACUUM (outside a test transaction), as autovacuum leaves a real table, and show no heap fetch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from findings import sla
from findings.models import Finding, Severity

pytestmark = pytest.mark.postgresql


def _index_definition(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])
        [(definition,)] = cursor.fetchall()
    return definition


def _findings(project, n: int = 600) -> None:
    statuses = list(Finding.Status)
    now = timezone.now()
    Finding.objects.bulk_create(
        Finding(
            project=project,
            title=f"F{i}",
            fingerprint=f"page-{i}",
            status=statuses[i % len(statuses)],
            severity=Severity.values[i % 7 % len(Severity.values)],
            sla_due_at=now + dt.timedelta(hours=i),
        )
        for i in range(n)
    )
    with connection.cursor() as cursor:
        # Outside a transaction (transactional tests): VACUUM marks the pages all-visible.
        cursor.execute(
            "ANALYZE findings_finding" if connection.in_atomic_block else "VACUUM ANALYZE findings_finding"
        )


def _query_of(client, url: str, marker: str) -> str:
    """The SQL the page at `url` ran that contains `marker`."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    [sql] = [q["sql"] for q in queries if marker in q["sql"]]
    return sql


def _plan(sql: str, *, analyze: bool = False) -> str:
    """EXPLAIN of `sql` with no sequential scan, bitmap scan or sort to fall back on."""
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {'(ANALYZE) ' if analyze else ''}{sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
def test_the_status_indexes_are_defined_as_the_pages_need():
    assert "ON public.findings_finding USING btree (status, severity DESC, id DESC)" in _index_definition(
        "finding_status_severity_idx"
    )
    assert "ON public.findings_finding USING btree (status, severity, sla_due_at)" in _index_definition(
        "finding_status_sev_sla_idx"
    )
    assert "ON public.findings_finding USING btree (project_id, status, sla_due_at)" in _index_definition(
        "finding_project_sla_idx"
    )


@pytest.mark.django_db(transaction=True)
def test_the_admin_count_filtered_by_status_and_severity_reads_the_index_alone(client, admin, project):
    _findings(project)
    client.force_login(admin)
    url = reverse("admin:findings_finding_changelist") + "?status__exact=open&severity__exact=4"

    count = _query_of(client, url, "COUNT(*)")

    # The capped count (10,001 rows at most) in the changelist's order, read from the index
    # alone: at 10 million findings it visited some 25,000 rows of the table before.
    assert "LIMIT 10001" in count and 'ORDER BY "findings_finding"."severity" DESC' in count
    plan = _plan(count, analyze=True)
    assert "Index Only Scan using finding_status_severity_idx on findings_finding" in plan, plan
    assert "Heap Fetches: 0" in plan, plan
    assert "Sort" not in plan and "Filter" not in plan, plan


@pytest.mark.django_db
def test_the_api_by_sla_due_date_reads_its_index_without_distinct(client, admin, project):
    _findings(project)
    client.force_login(admin)
    url = "/api/v1/findings/?status=open&severity=critical&ordering=sla_due_at"

    listed = _query_of(client, url, 'FROM "findings_finding"')

    assert "DISTINCT" not in listed  # a DISTINCT sorts every matching row before the LIMIT
    plan = _plan(listed)
    assert "Index Scan using finding_status_sev_sla_idx on findings_finding" in plan, plan
    assert "Sort" not in plan, plan


@pytest.mark.django_db
def test_the_api_lists_open_critical_findings_by_due_date(client, admin, project):
    _findings(project, 70)
    client.force_login(admin)

    body = client.get("/api/v1/findings/?status=open&severity=critical&ordering=sla_due_at").json()

    expected = Finding.objects.filter(status="open", severity=Severity.CRITICAL).order_by("sla_due_at")
    assert [row["id"] for row in body["results"]] == [f.pk for f in expected]
    assert len(body["results"]) == 2  # of 70 findings, every 35th is open and critical


@pytest.mark.django_db(transaction=True)
def test_the_portfolios_past_sla_counts_read_the_index_alone(project, other_project):
    _findings(project)
    now = timezone.now() + dt.timedelta(hours=100)

    with CaptureQueriesContext(connection) as queries:
        breached = sla.breached_by_project([project.pk, other_project.pk], now=now)

    # Open or in progress, due in the first 100 hours: 2 in 5 of the findings 0 to 100.
    assert breached == {project.pk: 41}
    [count] = [q["sql"] for q in queries]
    plan = _plan(count, analyze=True)
    assert "Index Only Scan using finding_project_sla_idx on findings_finding" in plan, plan
    assert "Heap Fetches: 0" in plan, plan
    assert "Filter" not in plan, plan
