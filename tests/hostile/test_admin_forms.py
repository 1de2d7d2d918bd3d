"""Admin forms with number, date and JSON fields: out-of-range numbers, NaN and Infinity,
9999-12-31 and impossible dates, JSON PostgreSQL refuses. Each is a form error naming the
field, the row unchanged; never a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.models import Audit
from tests.hostile.forms import change_form_data
from tests.hostile.helpers import assert_no_crash, db_state

AUDIT_CASES = [
    ("tests-passed-2^31", "tests_passed", str(2**31)),
    ("tests-passed-2^63", "tests_passed", str(2**63)),
    ("tests-passed-5000-digits", "tests_passed", "1" * 5000),
    ("tests-passed-negative", "tests_passed", "-3"),
    ("tests-passed-superscript", "tests_passed", "²"),
    ("lines-of-code-1e400", "lines_of_code", "1e400"),
    ("duration-infinity", "tests_duration_seconds", "Infinity"),
    ("duration-nan", "tests_duration_seconds", "NaN"),
    ("duration-1e400", "tests_duration_seconds", "1e400"),
    ("coverage-nan", "coverage_percent", "NaN"),
    ("coverage-1e400", "coverage_percent", "1e400"),
    ("coverage-negative", "coverage_percent", "-5"),
    ("stated-score-minus-3", "stated_global_score", "-3"),
    ("extra-metrics-nan", "extra_metrics", '{"latency": NaN}'),
    ("extra-metrics-infinity", "extra_metrics", '{"latency": -Infinity}'),
    ("extra-metrics-1e400", "extra_metrics", '{"latency": 1e400}'),
    ("extra-metrics-nul", "extra_metrics", '{"note": "a\\u0000b"}'),
    ("extra-metrics-nul-key", "extra_metrics", '{"\\u0000": 1}'),
    ("extra-metrics-surrogate", "extra_metrics", '{"note": "\\ud800"}'),
    ("extra-metrics-5000-digits", "extra_metrics", '{"n": ' + "7" * 5000 + "}"),
    ("extra-metrics-deep", "extra_metrics", "[" * 5000 + "]" * 5000),
    ("audit-date-9999-12-31", "audit_date", "9999-12-31"),
    ("audit-date-2025-02-30", "audit_date", "2025-02-30"),
    ("audit-date-0001-01-01", "audit_date", "0001-01-01"),
    ("audit-date-arabic-digits", "audit_date", "٢٠٢٥-٠١-٠١"),
    ("valid-until-9999-12-31", "valid_until", "9999-12-31"),
    ("title-nul", "title", "a\x00b"),
]


@pytest.fixture
def audit_form(logged_in, world):
    url = f"/admin/projects/audit/{world['dated'].pk}/change/"
    return url, change_form_data(logged_in.get(url))


@pytest.mark.parametrize("case, field, value", AUDIT_CASES, ids=[c[0] for c in AUDIT_CASES])
def test_audit_form_refuses_out_of_range_numbers_dates_and_json(logged_in, audit_form, case, field, value):
    url, data = audit_form
    before = db_state()
    response = logged_in.post(url, {**data, field: value})
    html = assert_no_crash(response)
    assert response.status_code == 200, "the form was accepted"
    errors = response.context["adminform"].form.errors
    # The field's own error, or the database constraint on it, named.
    assert field in errors or any(field.split("_")[0] in str(e) for e in errors.get("__all__", [])), errors
    assert "errornote" in html
    assert db_state() == before


def test_the_unchanged_audit_form_saves(logged_in, audit_form, world):
    url, data = audit_form
    response = logged_in.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors


def test_an_audit_dated_at_the_end_of_the_calendar_keeps_a_valid_period(world):
    audit = Audit.objects.create(project=world["project"], title="far", audit_date=dt.date(9999, 12, 31))
    assert audit.valid_until == dt.date(9999, 12, 31)
    audit = Audit.objects.create(project=world["project"], title="near", audit_date=dt.date(9999, 11, 1))
    assert audit.valid_until == dt.date(9999, 12, 31)


OTHER_FORMS = [
    ("domain-aliases-nan", "/admin/projects/maturitydomain/{security}/change/", "aliases", '["a", NaN]'),
    ("domain-aliases-nul", "/admin/projects/maturitydomain/{security}/change/", "aliases", '["a\\u0000"]'),
    ("domain-weight-nan", "/admin/projects/maturitydomain/{security}/change/", "weight", "NaN"),
    ("domain-weight-huge", "/admin/projects/maturitydomain/{security}/change/", "weight", "9" * 400),
    ("domain-order-2^31", "/admin/projects/maturitydomain/{security}/change/", "display_order", str(2**31)),
    ("scanners-infinity", "/admin/projects/project/{project}/change/", "enabled_scanners", "[Infinity]"),
    (
        "scanners-deep",
        "/admin/projects/project/{project}/change/",
        "enabled_scanners",
        "[" * 3000 + "]" * 3000,
    ),
    ("next-scan-9999", "/admin/projects/project/{project}/change/", "next_scan_at_0", "9999-12-31"),
    ("score-nan", "/admin/projects/domainscore/{score}/change/", "score", "NaN"),
    ("score-minus-3", "/admin/projects/domainscore/{score}/change/", "score", "-3"),
    ("checklist-due-9999", "/admin/checklists/checklist/{checklist}/change/", "due_date", "9999-12-31"),
]


@pytest.mark.parametrize("case, url, field, value", OTHER_FORMS, ids=[c[0] for c in OTHER_FORMS])
def test_other_admin_forms_refuse_what_the_database_cannot_hold(logged_in, world, case, url, field, value):
    from projects.models import DomainScore, MaturityDomain

    url = url.format(
        security=MaturityDomain.objects.get(slug="security").pk,
        project=world["project"].pk,
        score=DomainScore.objects.filter(audit=world["dated"]).first().pk,
        checklist=world["checklist"].pk,
    )
    data = change_form_data(logged_in.get(url))
    before = db_state()
    response = logged_in.post(url, {**data, field: value})
    assert_no_crash(response)
    assert response.status_code == 200, "the form was accepted"
    assert response.context["adminform"].form.errors
    assert db_state() == before


def test_the_start_checklist_form_refuses_a_due_date_past_the_calendar(logged_in, world):
    from checklists.models import Checklist, ChecklistTemplate

    before = Checklist.objects.count()
    response = logged_in.post(
        "/admin/checklists/checklist/start/",
        {
            "projects": [world["project"].pk],
            "template": ChecklistTemplate.objects.get(slug="deployment").pk,
            "due_date": "9999-12-31",
        },
    )
    assert_no_crash(response)
    assert "due_date" in response.context["form"].errors
    assert Checklist.objects.count() == before


HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@HYPOTHESIS
@given(
    value=st.integers(min_value=-(2**80), max_value=2**80).map(str)
    | st.floats().map(repr)
    | st.text(alphabet="0123456789.eE+-²١ \x00", max_size=25),
    field=st.sampled_from(
        ["tests_passed", "lines_of_code", "security_high", "tests_duration_seconds", "coverage_percent"]
    ),
)
def test_any_number_in_an_audit_metric_is_in_range_or_a_form_error(rf, world, audit_form, value, field):
    """The admin's own audit form (as the change page builds it): valid only within the
    column's PostgreSQL range and never negative or non-finite."""
    from django.contrib import admin

    _url, data = audit_form
    request = rf.post("/")
    request.user = world["users"]["admin"]
    model_admin = admin.site._registry[Audit]
    form_class = model_admin.get_form(request, world["dated"], change=True)
    form = form_class({**data, field: value}, instance=Audit.objects.get(pk=world["dated"].pk))
    if form.is_valid():
        number = form.cleaned_data[field]
        assert number is None or 0 <= float(number) <= 10**12
        assert float(number or 0) == float(number or 0)  # not NaN
        if field not in ("tests_duration_seconds", "coverage_percent"):
            assert number is None or number <= 2**31 - 1
    else:
        assert field in form.errors or form.errors.get("__all__")
