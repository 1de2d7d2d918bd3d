"""SLA clocks: the due date comes from the first sighting and never moves with re-imports,
reopenings or status changes; fixed-in-time is recorded when a finding is fixed."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tablib import Dataset

from findings import sla
from findings.models import Finding, Severity
from findings.resources import FindingResource
from findings.services.scans import scan_import
from projects.models import Project

pytestmark = pytest.mark.django_db


def bandit(*rules: str, severity: str = "HIGH") -> bytes:
    results = [
        {
            "filename": f"app/{rule}.py",
            "line_number": 3,
            "test_id": rule,
            "test_name": rule,
            "issue_text": f"problem {rule}",
            "issue_severity": severity,
            "issue_confidence": "HIGH",
        }
        for rule in rules
    ]
    return json.dumps(
        {"errors": [], "generated_at": "2026-01-01T00:00:00Z", "metrics": {}, "results": results}
    ).encode()


def test_defaults_and_project_overrides(project, settings):
    assert sla.days_by_severity(project) == {0: None, 1: 180, 2: 90, 3: 30, 4: 7}
    project.sla_high_days = 14
    settings.SLA_DAYS_LOW = 365

    assert sla.days_by_severity(project) == {0: None, 1: 365, 2: 90, 3: 14, 4: 7}


def test_an_import_starts_the_clock_with_the_projects_days(project):
    project.sla_high_days = 10
    project.save()
    before = timezone.now()

    scan_import(project=project, content=bandit("B1", "B2", severity="LOW"), file_name="b.json")
    scan_import(project=project, content=bandit("B3"), file_name="c.json")

    for finding in Finding.objects.all():
        days = {Severity.LOW: 180, Severity.HIGH: 10}[finding.severity]
        assert finding.sla_due_at - finding.first_seen_at == dt.timedelta(days=days)
        assert finding.first_seen_at >= before


def test_states_and_the_matching_queries(project):
    now = timezone.now()
    cases = {
        "breached": (Severity.HIGH, now - dt.timedelta(days=1)),
        "due soon": (Severity.HIGH, now + dt.timedelta(days=3)),  # a quarter of 30 is 7.5
        "on track": (Severity.HIGH, now + dt.timedelta(days=20)),
        "critical soon": (Severity.CRITICAL, now + dt.timedelta(days=1)),
        "critical on track": (Severity.CRITICAL, now + dt.timedelta(days=5)),
        "closed": (Severity.HIGH, now - dt.timedelta(days=5)),
        "info": (Severity.INFO, None),
    }
    for title, (severity, due) in cases.items():
        Finding.objects.create(
            project=project,
            title=title,
            fingerprint=title,
            severity=severity,
            sla_due_at=due,
            status="fixed" if title == "closed" else "open",
        )
    expected = {
        "breached": sla.BREACHED,
        "due soon": sla.DUE_SOON,
        "on track": sla.ON_TRACK,
        "critical soon": sla.DUE_SOON,
        "critical on track": sla.ON_TRACK,
        "closed": sla.NO_SLA,
        "info": sla.NO_SLA,
    }
    assert {f.title: sla.finding_state(f, now) for f in Finding.objects.all()} == expected
    for key in sla.STATE_LABELS:
        in_sql = set(Finding.objects.filter(sla.state_q(key, now)).values_list("title", flat=True))
        assert in_sql == {title for title, state in expected.items() if state == key}, key


def test_the_admin_filters_by_sla_state_and_records_fixed_in_time(client, admin, project):
    now = timezone.now()
    late = Finding.objects.create(
        project=project, title="Late", fingerprint="late", severity=3, sla_due_at=now - dt.timedelta(days=2)
    )
    Finding.objects.create(
        project=project, title="Fine", fingerprint="fine", severity=3, sla_due_at=now + dt.timedelta(days=20)
    )
    client.force_login(admin)

    page = client.get(reverse("admin:findings_finding_changelist") + "?sla=breached").content.decode()
    assert ">Late<" in page and ">Fine<" not in page

    url = reverse("admin:findings_finding_change", args=[late.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update({"project": project.pk, "status": "fixed"})
    assert client.post(url, data).status_code == 302
    late.refresh_from_db()
    assert (late.status, late.fixed_within_sla, late.sla_due_at) == (
        "fixed",
        False,
        now - dt.timedelta(days=2),
    )


def test_a_severity_change_keeps_the_start_and_changes_the_length(project):
    scan_import(project=project, content=bandit("B1"), file_name="b.json")
    finding = Finding.objects.get()
    dataset = Dataset(headers=["id", "severity"])
    dataset.append([finding.pk, "Critical"])

    result = FindingResource(user=None).import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    finding.refresh_from_db()
    assert finding.sla_due_at - finding.first_seen_at == dt.timedelta(days=7)


# --- property: the clock survives re-imports, reopenings and status changes -----------------

_projects = itertools.count()
STEPS = st.lists(
    st.sampled_from(["seen", "gone", "in_progress", "open", "fixed", "age"]), min_size=1, max_size=12
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_clock_never_moves(steps):
    project = Project.objects.create(name="p", slug=f"sla-{next(_projects)}")
    scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")
    finding = Finding.objects.get(project=project, rule_id="B1")
    start, due = finding.first_seen_at, finding.sla_due_at
    assert due - start == dt.timedelta(days=30)

    for step in steps:
        if step == "seen":  # the finding reported again (reopens it when it was fixed)
            scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")
        elif step == "gone":  # no longer reported: resolved as fixed
            scan_import(project=project, content=bandit("B2"), file_name="b.json")
        elif step == "age":  # ten days pass: the finding's times all move back
            shift = dt.timedelta(days=10)
            Finding.objects.filter(pk=finding.pk).update(
                first_seen_at=start - shift, sla_due_at=due - shift, fixed_at=F("fixed_at") - shift
            )
            start, due = start - shift, due - shift
        else:  # a person's triage
            dataset = Dataset(headers=["id", "status"])
            dataset.append([finding.pk, step])
            FindingResource(user=None).import_data(dataset, dry_run=False)
        finding.refresh_from_db()
        assert (finding.first_seen_at, finding.sla_due_at) == (start, due), step
        if finding.status == "fixed":
            assert finding.fixed_within_sla == (finding.fixed_at <= due)
        else:
            assert finding.fixed_within_sla is None
