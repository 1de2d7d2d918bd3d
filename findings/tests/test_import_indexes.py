"""The nullable foreign keys of findings are indexed on their non-empty values only (migration
0014), so an import adds no entry to those indexes for findings without an audit, an assignee or
a resolving import; the queries that filter on them still read them.

As in test_page_indexes, a test's few rows rightly deserve a sequential scan: those are switched
off for the EXPLAIN, which checks that the index serves the query, not which plan the rows earn."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from conftest import make_user
from findings.models import Finding, ImportRun
from findings.services.scans import scan_import
from findings.tests.helpers import fixture
from projects.models import Audit

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db]

PARTIAL = {
    "assignee_id": "finding_assignee_idx",
    "first_seen_audit_id": "finding_first_audit_idx",
    "last_seen_audit_id": "finding_last_audit_idx",
    "resolved_by_import_id": "finding_resolved_by_idx",
}


def _indexes_on(column: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'findings_finding' "
            "AND indexdef LIKE %s",
            [f"%({column})%"],
        )
        return dict(cursor.fetchall())


def _plan(sql: str, params=(), *, bitmap: bool = False) -> str:
    """EXPLAIN of `sql` with no sequential scan (nor bitmap scan unless `bitmap`) to fall back on."""
    with transaction.atomic(), connection.cursor() as cursor:
        for setting in ("enable_seqscan",) if bitmap else ("enable_seqscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_each_nullable_foreign_key_has_one_index_and_it_leaves_out_empty_values():
    for column, name in PARTIAL.items():
        # Django's own full index of the foreign key is gone: only the partial one is left.
        assert _indexes_on(column) == {
            name: f"CREATE INDEX {name} ON public.findings_finding USING btree ({column}) "
            f"WHERE ({column} IS NOT NULL)"
        }


def test_the_queries_on_those_keys_read_the_partial_indexes(project):
    audit = Audit.objects.create(project=project, title="Scan")
    user = make_user("assigned")
    run = scan_import(
        project=project, content=fixture("bandit_v1.json"), file_name="bandit_v1.json", audit=audit
    )
    resolver = ImportRun.objects.create(project=project, format="bandit")
    Finding.objects.filter(project=project).update(assignee=user, resolved_by_import=resolver)
    assert run.created_count > 0

    # The re-scan's change summary: new (first seen) and reopened (last seen) in an audit.
    change = Finding.objects.filter(Q(first_seen_audit=audit) | Q(last_seen_audit=audit)).values("pk")
    plan = _plan(*change.query.sql_with_params(), bitmap=True)
    assert "Bitmap Index Scan on finding_first_audit_idx" in plan, plan
    assert "Bitmap Index Scan on finding_last_audit_idx" in plan, plan

    # Deleting a user, an audit or an import run sets the findings' key to NULL (Django's
    # on_delete=SET_NULL): each of those UPDATEs finds its rows through the partial index.
    updates = {}
    for gone in (user, audit, resolver):
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            gone.delete()
            transaction.set_rollback(True)
        for query in queries:
            sql = query["sql"]
            if sql.startswith('UPDATE "findings_finding"'):
                column = next(c for c in PARTIAL if f'"findings_finding"."{c}" IN' in sql)
                updates[column] = sql
    assert set(updates) == set(PARTIAL)
    for column, sql in updates.items():
        plan = _plan(sql)
        assert f"Index Scan using {PARTIAL[column]} on findings_finding" in plan, plan
