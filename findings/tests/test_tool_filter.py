"""The findings admin's tool filter lists the tools in use without a DISTINCT over the table."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from findings.admin import ToolListFilter
from findings.models import Finding
from findings.selectors import tools_in_use

pytestmark = pytest.mark.django_db


def _findings(project, tools: list[str]) -> None:
    Finding.objects.bulk_create(
        Finding(project=project, title=f"F{i}", fingerprint=f"tool-{i}", tool=tool)
        for i, tool in enumerate(tools)
    )


def test_the_tools_in_use_are_those_a_distinct_gives_in_name_order(project):
    assert tools_in_use() == []
    _findings(project, ["semgrep", "bandit", "", "ruff", "bandit", "auditor-secrets", "semgrep", "Zeta"])

    distinct = list(
        Finding.objects.exclude(tool="").order_by("tool").values_list("tool", flat=True).distinct()
    )
    assert tools_in_use() == distinct
    assert set(distinct) == {"semgrep", "bandit", "ruff", "auditor-secrets", "Zeta"}


def test_the_admin_filter_offers_them_to_users_who_see_every_project(client, admin, project):
    _findings(project, ["ruff", "bandit"])
    cache.delete(ToolListFilter.CACHE_KEY)
    client.force_login(admin)

    body = client.get("/admin/findings/finding/").content.decode()

    assert "?tool=bandit" in body and "?tool=ruff" in body


@pytest.mark.postgresql
def test_the_tools_are_read_by_skipping_through_the_tool_index(project):
    _findings(project, ["bandit", "ruff", "semgrep"] * 200)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'finding_tool_idx'")
        [(definition,)] = cursor.fetchall()
        assert "USING btree (tool)" in definition
        cursor.execute("ANALYZE findings_finding")
    with CaptureQueriesContext(connection) as queries:
        tools_in_use()
    [sql] = [q["sql"] for q in queries]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "finding_tool_idx" in plan and "Recursive Union" in plan
