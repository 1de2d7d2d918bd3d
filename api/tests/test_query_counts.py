"""A list costs the same number of queries whatever its page size."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding, FindingComment, ImportRun
from governance.services import exception_request
from projects.models import Audit, DomainScore, MaturityDomain, Project
from rescans.services import project_rescan_request
from scoring.services import project_refresh_summary

LISTS = [
    "/api/v1/projects/",
    "/api/v1/audits/",
    "/api/v1/domain-scores/",
    "/api/v1/findings/",
    "/api/v1/exceptions/",
    "/api/v1/checklists/",
    "/api/v1/checklist-items/",
    "/api/v1/import-runs/",
    "/api/v1/rescans/",
    "/api/v1/portfolio/",
]
ROWS = 12


@pytest.fixture
def many_rows(tech_lead, other_tech_lead):
    domains = list(MaturityDomain.objects.all())
    for n in range(ROWS):
        lead = User.objects.create_user(f"lead{n}", is_staff=True)
        project = Project.objects.create(name=f"P{n}", slug=f"p{n}", tech_lead=lead, repository_url="/x")
        project.members.add(tech_lead)
        audit = Audit.objects.create(project=project, title=f"A{n}", status="completed", auditor=lead)
        DomainScore.objects.create(audit=audit, domain=domains[n % len(domains)], score="5.0")
        finding = Finding.objects.create(
            project=project, title=f"F{n}", fingerprint=f"f{n}", assignee=lead, domain=domains[0]
        )
        FindingComment.objects.create(finding=finding, author=lead, body="x")
        exception_request(user=tech_lead, reason="false_positive", justification="x", finding=finding)
        checklist = Checklist.objects.create(project=project, title=f"C{n}", owner=lead)
        ChecklistItem.objects.create(checklist=checklist, text="i", checked_by=lead)
        ImportRun.objects.create(project=project, audit=audit, format="sarif", user=lead)
        project_rescan_request(project_id=project.pk, enqueue=False, user=lead)
        project_refresh_summary(project_id=project.pk)


def queries_for(client, url, size):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{url}?page_size={size}")
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == size
    return len(captured)


@pytest.mark.parametrize("url", LISTS)
def test_a_list_costs_the_same_queries_at_two_page_sizes(
    tech_lead, many_rows, url, django_assert_num_queries
):
    client = Client()
    client.force_login(tech_lead)  # a tech lead: the scoped queries, the heaviest case
    client.get(url)  # warm the per-user caches shared by every request

    small = queries_for(client, url, 2)
    with django_assert_num_queries(small):
        response = client.get(f"{url}?page_size={ROWS}")

    assert len(response.json()["results"]) == ROWS


# Each filter on a column of the listed rows themselves, with two values.
COLUMN_FILTERS = [
    ("/api/v1/audits/", "status=completed&status=draft", 12),
    ("/api/v1/audits/", "kind=manual&kind=automated", 24),
    ("/api/v1/findings/", "status=open&status=fixed", 12),
    ("/api/v1/exceptions/", "state=pending&state=approved", 12),
    ("/api/v1/exceptions/", "reason=false_positive&reason=test_data", 12),
    ("/api/v1/checklist-items/", "state=todo&state=done", 12),
    ("/api/v1/import-runs/", "status=running&status=failed", 12),
    ("/api/v1/rescans/", "state=queued&state=running", 12),
    ("/api/v1/rescans/", "outcome=scanned&outcome=failed", 0),
]


@pytest.mark.parametrize(("url", "query", "rows"), COLUMN_FILTERS)
def test_a_filter_on_a_column_lists_each_row_once_without_distinct(admin_user, many_rows, url, query, rows):
    """No DISTINCT: over millions of rows it sorts every matching row before the page's LIMIT."""
    client = Client()
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{url}?{query}&page_size=100")
    assert response.status_code == 200, response.content
    listed = [json.dumps(row, sort_keys=True) for row in response.json()["results"]]
    assert len(listed) == len(set(listed)) == rows
    assert not [q["sql"] for q in captured if "DISTINCT" in q["sql"].upper()]
