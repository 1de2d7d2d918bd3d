"""SLA clocks: the due date comes from the first sighting and is never reset by re-imports,
reopenings or status changes; the clock pauses while a finding is fixed; fixed-in-time is
recorded when a finding is fixed."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tablib import Dataset

from findings import sla
from findings.models import Finding, Severity
from findings.resources import FindingResource
from findings.services import scan_writes, scans
from findings.services.scans import scan_import
from findings.services.stated import StatedFinding, stated_findings_import
from projects.models import Audit, Project

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
    st.sampled_from(["seen", "gone", "in_progress", "open", "fixed", "stated open", "stated fixed", "age"]),
    min_size=1,
    max_size=12,
)


class Clock:
    """timezone.now for every writer under test: time passes only when a step says so."""

    def __init__(self) -> None:
        self.now = timezone.now().replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.mark.parametrize("path", ["postgresql-bulk", "portable"])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_the_clock_survives_everything_and_pauses_while_fixed(path, steps):
    """Whatever happens to a finding (re-imports, resolution, reopening by an import, a report or
    a person, triage), its due date is its first sighting + 30 days + the time it spent fixed."""
    clock = Clock()
    with (
        mock.patch("django.utils.timezone.now", clock),
        mock.patch.object(scans, "write_findings", scan_writes.write_portable)
        if path == "portable"
        else contextlib.nullcontext(),
    ):
        project = Project.objects.create(name="p", slug=f"sla-{next(_projects)}")
        audit = Audit.objects.create(project=project)
        scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")
        finding = Finding.objects.get(project=project, rule_id="B1")
        start = finding.first_seen_at
        assert start == clock.now
        paused, fixed_since = dt.timedelta(0), None

        for step in steps:
            was_fixed = finding.status == "fixed"
            if step == "age":  # ten days pass
                clock.now += dt.timedelta(days=10)
            elif step == "seen":  # reported again (reopens it when it was fixed)
                scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")
            elif step == "gone":  # no longer reported: resolved as fixed
                scan_import(project=project, content=bandit("B2"), file_name="b.json")
            elif step.startswith("stated"):  # an imported report states it
                stated = StatedFinding(
                    title=finding.title,
                    severity=finding.severity,
                    fingerprint=finding.fingerprint,
                    status=step.split()[1],
                )
                stated_findings_import(audit=audit, findings=[stated])
            else:  # a person's triage
                dataset = Dataset(headers=["id", "status"])
                dataset.append([finding.pk, step])
                FindingResource(user=None).import_data(dataset, dry_run=False)
            finding.refresh_from_db()
            if finding.status == "fixed" and not was_fixed:
                fixed_since = clock.now
            elif was_fixed and finding.status != "fixed":
                paused += clock.now - fixed_since

            assert finding.first_seen_at == start, step
            assert finding.sla_paused == paused, step
            assert finding.sla_due_at == start + dt.timedelta(days=30) + paused, step
            if finding.status == "fixed":
                assert finding.fixed_at == fixed_since
                assert finding.fixed_within_sla == (fixed_since <= finding.sla_due_at)
            else:
                assert finding.fixed_within_sla is None


def test_a_reopened_finding_resumes_where_it_stopped(project):
    """Fixed after 10 of its 30 days, reopened 50 days later: 20 days are left, not breached."""
    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock):
        scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")
        clock.now += dt.timedelta(days=10)
        scan_import(project=project, content=bandit("B2"), file_name="b.json")
        clock.now += dt.timedelta(days=50)
        scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")

    finding = Finding.objects.get(project=project, rule_id="B1")
    assert finding.status == "open" and finding.sla_paused == dt.timedelta(days=50)
    assert finding.sla_due_at - clock.now == dt.timedelta(days=20)
    assert sla.finding_state(finding, now=clock.now) == sla.ON_TRACK


def test_a_severity_change_after_a_reopening_keeps_the_paused_time(project):
    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock):
        scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")
        scan_import(project=project, content=bandit("B2"), file_name="b.json")
        clock.now += dt.timedelta(days=5)
        scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")
    finding = Finding.objects.get(project=project, rule_id="B1")
    finding.severity = Severity.CRITICAL
    sla.fill(finding)

    assert finding.sla_due_at == finding.first_seen_at + dt.timedelta(days=7 + 5)


def test_a_status_change_saved_with_update_fields_keeps_the_resumed_clock(project):
    """Callers that save only the status fields (the REST API) still save the moved clock."""
    clock = Clock()
    with mock.patch("django.utils.timezone.now", clock):
        scan_import(project=project, content=bandit("B1", "B2"), file_name="b.json")
        scan_import(project=project, content=bandit("B2"), file_name="b.json")
        clock.now += dt.timedelta(days=3)
        finding = Finding.objects.get(project=project, rule_id="B1")
        old, finding.status = finding.status, "open"
        sla.record_status_change(finding, old, clock.now)
        finding.save(update_fields=["status", "fixed_at", "fixed_within_sla"])

    finding.refresh_from_db()
    assert finding.sla_paused == dt.timedelta(days=3)
    assert finding.sla_due_at == finding.first_seen_at + dt.timedelta(days=30 + 3)
