"""Query parameters of every page (portfolio, project, audit, CSV and Markdown exports, admin
changelists and change pages) with NUL, non-ASCII digits, broken UTF-8, huge numbers and far
dates; and the pages with a completed audit that has no date."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.models import Audit
from tests.hostile.helpers import assert_no_crash

# (id, raw query-string value: already percent-encoded where it must be)
VALUES = [
    ("nul", "%00"),
    ("nul-inside", "a%00b"),
    ("superscript-two", quote("²")),
    ("arabic-indic-one", quote("١")),
    ("lone-surrogate-utf8", "%ED%A0%80"),
    ("invalid-utf8", "%FF%FE"),
    ("huge-number", "9" * 30),
    ("thousands-of-digits", "1" * 5000),
    ("negative", "-1"),
    ("nan", "NaN"),
    ("control-chars", "%01%0B%1F"),
]
VALUE_IDS = [v[0] for v in VALUES]


def dashboard_pages(world) -> list[str]:
    return [
        "/maturity/",
        "/maturity/portfolio.csv",
        f"/projects/{world['project'].slug}/",
        f"/audits/{world['undated'].pk}/",
        f"/audits/{world['undated'].pk}/report.md",
    ]


DASHBOARD_PARAMS = ("q", "o", "lead", "level", "stale", "page", "per_page")
# Every admin changelist, with the date drill-down field of those that have one.
CHANGELISTS = {
    "projects/project": None,
    "projects/audit": "audit_date",
    "projects/domainscore": None,
    "projects/maturitydomain": None,
    "findings/finding": None,
    "findings/importrun": "created_at",
    "findings/apitoken": None,
    "checklists/checklist": "due_date",
    "checklists/checklisttemplate": None,
    "checklists/checklisttemplateitem": None,
    "checklists/checklistitemhistory": "changed_at",
    "checklists/reminderdelivery": "day",
    "auth/user": None,
}
ADMIN_PARAMS = ("q", "o", "p", "project", "project__id__exact")
# The values that broke changelists (NUL in PostgreSQL, int() of Unicode digits, overflows).
CHANGELIST_VALUES = [
    v for v in VALUES if v[0] in {"nul", "superscript-two", "lone-surrogate-utf8", "huge-number"}
]


def test_every_page_answers_with_a_completed_audit_that_has_no_date(logged_in, world):
    for url in dashboard_pages(world):
        response = logged_in.get(url)
        assert response.status_code == 200, url
        assert_no_crash(response)
    portfolio = logged_in.get("/maturity/").content.decode()
    assert "undated" in portfolio or "2025-03-01" in portfolio


@pytest.mark.parametrize("name, value", VALUES, ids=VALUE_IDS)
def test_dashboard_query_parameters(logged_in, world, name, value):
    for url in dashboard_pages(world):
        # The portfolio and its CSV read every parameter; the other pages none but a search.
        for param in DASHBOARD_PARAMS if url.startswith("/maturity/") else ("q",):
            response = logged_in.get(f"{url}?{param}={value}")
            text = assert_no_crash(response)
            if response.status_code == 400:
                assert param in text  # the refusal names the parameter


@pytest.mark.parametrize("changelist", sorted(CHANGELISTS), ids=sorted(CHANGELISTS))
@pytest.mark.parametrize("name, value", CHANGELIST_VALUES, ids=[v[0] for v in CHANGELIST_VALUES])
def test_admin_changelist_query_parameters(logged_in, world, changelist, name, value):
    params = list(ADMIN_PARAMS)
    if CHANGELISTS[changelist]:
        field = CHANGELISTS[changelist]
        params += [f"{field}__year", f"{field}__month", f"{field}__day"]
    for param in params:
        response = logged_in.get(f"/admin/{changelist}/?{param}={value}")
        assert_no_crash(response)


@pytest.mark.parametrize("changelist", [c for c, f in sorted(CHANGELISTS.items()) if f])
@pytest.mark.parametrize("year", ["9999", "9998", "0", "10000"])
def test_admin_date_drill_down_at_the_end_of_the_calendar(logged_in, world, changelist, year):
    field = CHANGELISTS[changelist]
    for query in (
        f"{field}__year={year}",
        f"{field}__year={year}&{field}__month=12",
        f"{field}__year={year}&{field}__month=12&{field}__day=31",
    ):
        response = logged_in.get(f"/admin/{changelist}/?{query}")
        text = assert_no_crash(response)
        if year == "9999":
            assert response.status_code == 400 and "year out of range" in text


CHANGE_PAGES = ["projects/audit", "projects/project", "findings/finding", "checklists/checklist"]


@pytest.mark.parametrize("page", CHANGE_PAGES)
@pytest.mark.parametrize(
    "bad_id",
    [quote("²"), quote("١"), "9" * 30, "-1", "%00", "1.0"],
    ids=["²", "١", "huge", "-1", "nul", "1.0"],
)
def test_admin_change_pages_with_ids_that_are_not_ascii_numbers(logged_in, world, page, bad_id):
    response = logged_in.get(f"/admin/{page}/{bad_id}/change/")
    assert_no_crash(response)
    # Never the object whose id int() reads out of it ("١" is 1): not found (the admin redirects).
    assert response.status_code in (302, 400, 404)


@pytest.mark.parametrize("name, value", VALUES, ids=VALUE_IDS)
def test_id_parameters_of_the_admin_tools(logged_in, world, name, value):
    for url in (
        f"/admin/checklists/checklist/start/?project={value}",
        f"/admin/checklists/checklist/start/?template={value}",
        f"/admin/findings/importrun/upload/?project={value}",
        f"/admin/findings/importrun/upload/?audit={value}",
        f"/admin/projects/audit/?project={value}",
    ):
        assert_no_crash(logged_in.get(url))


def test_the_checklist_start_view_reads_ascii_ids_only(logged_in, world):
    project = world["project"]
    response = logged_in.get(f"/admin/checklists/checklist/start/?project={quote('١')}&project={project.pk}")
    assert response.status_code == 200
    assert response.context["form"].initial["projects"] == [project.pk]


HYPOTHESIS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(text=st.text(max_size=40), param=st.sampled_from(["q", "lead", "o", "level", "project", "tool"]))
def test_any_text_in_a_query_parameter_is_answered(logged_in, world, text, param):
    for url in ("/maturity/", "/admin/findings/finding/", "/admin/projects/audit/"):
        assert_no_crash(logged_in.get(url, {param: text}))


def test_the_csv_export_of_the_portfolio_with_an_undated_audit(logged_in, world):
    response = logged_in.get("/maturity/portfolio.csv")
    text = assert_no_crash(response)
    assert world["project"].slug in text
    assert Audit.objects.filter(audit_date__isnull=True, status=Audit.Status.COMPLETED).exists()
