"""The portfolio page /maturity/ and its CSV download."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scoring.models import ProjectSummary
from tests.pages_data import build_project

URL = reverse("portfolio")


def rows_of(response):
    return [row.project.slug for row in response.context["rows"]]


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
def test_a_manager_sees_one_row_per_active_project_with_its_latest_score(client, manager):
    first = build_project(1)
    build_project(2)
    inactive = build_project(3)
    inactive.is_active = False
    inactive.save()
    client.force_login(manager)
    response = client.get(URL)
    assert response.status_code == 200
    assert rows_of(response) == ["project-0001", "project-0002"]
    summary = ProjectSummary.objects.get(project=first)
    latest = first.audits.order_by("-audit_date").first()
    assert summary.global_score == latest.global_score
    assert summary.latest_audit_id == latest.pk
    assert len(summary.history) == 3
    assert (
        summary.open_critical + summary.open_high + summary.open_medium + summary.open_low + summary.open_info
        == 5
    )
    html = response.content.decode()
    assert 'class="spark"' in html and 'class="heat lvl-' in html
    assert reverse("project-detail", args=["project-0001"]) in html


@pytest.mark.django_db
def test_a_tech_lead_only_sees_their_own_projects(client, tech_lead, other_tech_lead):
    build_project(1, lead=tech_lead)
    build_project(2, lead=other_tech_lead)
    client.force_login(tech_lead)
    assert rows_of(client.get(URL)) == ["project-0001"]


@pytest.mark.django_db
def test_rows_sort_by_score_both_ways_with_unmeasured_projects_last(client, manager):
    for i in range(1, 5):
        build_project(i)
    ProjectSummary.objects.filter(project__slug="project-0004").update(global_score=None)
    client.force_login(manager)
    scores = {s.project.slug: s.global_score for s in ProjectSummary.objects.select_related("project")}
    descending = rows_of(client.get(URL, {"o": "-score"}))
    ascending = rows_of(client.get(URL, {"o": "score"}))
    measured = sorted((s for s in scores if scores[s] is not None), key=lambda s: (scores[s], s))
    assert [scores[s] for s in descending[:3]] == sorted((scores[s] for s in measured), reverse=True)
    assert [scores[s] for s in ascending[:3]] == sorted(scores[s] for s in measured)
    assert descending[-1] == ascending[-1] == "project-0004"


@pytest.mark.django_db
def test_rows_sort_by_a_domain_column(client, manager):
    for i in range(1, 4):
        build_project(i)
    client.force_login(manager)
    slugs = rows_of(client.get(URL, {"o": "-d:code-quality"}))
    values = [ProjectSummary.objects.get(project__slug=s).domain_scores["code-quality"] for s in slugs]
    assert values == sorted(values, reverse=True)


@pytest.mark.django_db
def test_filters_by_level_tech_lead_and_staleness(client, manager, tech_lead):
    build_project(1, lead=tech_lead)
    build_project(2)
    old = build_project(3, days_ago=200)
    client.force_login(manager)
    assert rows_of(client.get(URL, {"lead": tech_lead.pk})) == ["project-0001"]
    assert rows_of(client.get(URL, {"stale": "yes"})) == [old.slug]
    assert old.slug not in rows_of(client.get(URL, {"stale": "no"}))
    ProjectSummary.objects.filter(project__slug="project-0002").update(global_score=Decimal("9.0"))
    ProjectSummary.objects.exclude(project__slug="project-0002").update(global_score=Decimal("6.0"))
    assert rows_of(client.get(URL, {"level": "excellent"})) == ["project-0002"]
    assert rows_of(client.get(URL, {"level": "average"})) == ["project-0001", "project-0003"]
    assert "stale" in client.get(URL, {"stale": "yes"}).content.decode()


@pytest.mark.django_db
def test_unknown_sort_and_filter_values_fall_back_to_the_defaults(client, manager):
    build_project(1)
    client.force_login(manager)
    response = client.get(URL, {"o": "password", "level": "<script>", "lead": "x", "stale": "maybe"})
    assert response.status_code == 200
    assert rows_of(response) == ["project-0001"]


@pytest.mark.django_db
def test_the_csv_download_has_one_line_per_row_with_the_filters_applied(client, manager, tech_lead):
    build_project(1, lead=tech_lead)
    build_project(2)
    client.force_login(manager)
    response = client.get(reverse("portfolio-csv"), {"lead": tech_lead.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0][:4] == ["project", "slug", "tech lead", "global score"]
    assert [line[1] for line in lines[1:]] == ["project-0001"]
    summary = ProjectSummary.objects.get(project__slug="project-0001")
    assert lines[1][3] == str(summary.global_score)


@pytest.mark.django_db
def test_the_portfolio_runs_the_same_queries_for_3_or_30_projects(client, manager):
    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        return len(queries)

    client.force_login(manager)
    for i in range(3):
        build_project(i)
    small = count_queries()
    for i in range(3, 30):
        build_project(i, findings=20, audits=4)
    assert count_queries() == small
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("portfolio-csv"))
    assert len(queries) <= small


@pytest.mark.django_db
def test_the_portfolio_query_count_is_fixed(client, manager, django_assert_num_queries):
    for i in range(5):
        build_project(i)
    client.force_login(manager)
    # session, user, domains, missing rows, groups, count, rows, SLA breaches, totals, and the
    # user's and groups' permissions (read once for the menu's "My items" link)
    with django_assert_num_queries(12):
        client.get(URL)


@pytest.mark.django_db
def test_a_project_without_any_audit_is_listed_as_not_measured(client, manager, project):
    from scoring import services as scoring

    scoring.project_recompute(project_id=project.pk)
    client.force_login(manager)
    response = client.get(URL)
    assert rows_of(response) == [project.slug]
    assert "n/m" in response.content.decode()
    assert response.context["rows"][0].summary.latest_audit_id is None


@pytest.mark.django_db
def test_the_change_column_is_the_difference_with_the_previous_audit(manager, client):
    project = build_project(1)
    audits = list(project.audits.order_by("-audit_date"))
    summary = ProjectSummary.objects.get(project=project)
    assert summary.score_change == audits[0].global_score - audits[1].global_score
    assert summary.previous_global_score == audits[1].global_score


@pytest.mark.django_db
def test_a_project_created_without_scoring_still_gets_its_row(client, manager):
    from projects.models import Project

    Project.objects.create(name="Fresh", slug="fresh")
    client.force_login(manager)
    assert rows_of(client.get(URL)) == ["fresh"]
    assert ProjectSummary.objects.filter(project__slug="fresh", global_score=None).exists()


@pytest.mark.django_db
def test_a_project_name_that_looks_like_a_formula_is_defused_in_the_csv(client, manager):
    from projects.models import Project

    Project.objects.create(name='=HYPERLINK("http://evil")', slug="evil")
    client.force_login(manager)
    client.get(URL)  # creates the portfolio row
    response = client.get(reverse("portfolio-csv"))
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[1][0] == '\'=HYPERLINK("http://evil")'


@pytest.mark.django_db
def test_the_admins_view_site_link_opens_the_portfolio(client, manager):
    client.force_login(manager)
    html = client.get(reverse("admin:index")).content.decode()
    assert f'href="{URL}"' in html
