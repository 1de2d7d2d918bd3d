"""The audit report page /audits/<id>/ and its Markdown download."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from findings.models import Finding, Severity
from projects.models import Audit, DomainScore, MaturityDomain
from scoring import services as scoring
from tests.pages_data import build_project


def latest(project):
    return project.audits.order_by("-audit_date", "-id").first()


@pytest.mark.django_db
def test_the_report_shows_summary_gate_metrics_scores_findings_and_checklists(client, auditor_user):
    project = build_project(1)
    audit = latest(project)
    client.force_login(auditor_user)
    response = client.get(audit.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for anchor in ('id="gate"', 'id="metrics"', 'id="domains"', 'id="findings"', 'id="checklists"'):
        assert anchor in html
    assert response.context["is_latest"] is True
    assert response.context["finding_total"] == 5
    assert "print.css" in html and 'media="print"' in html
    assert reverse("admin:projects_audit_change", args=[audit.pk]) in html


@pytest.mark.django_db
def test_a_stated_production_ready_with_an_open_critical_finding_is_flagged(client, manager, project):
    audit = Audit.objects.create(
        project=project,
        title="Report",
        status=Audit.Status.COMPLETED,
        stated_verdict=Audit.Verdict.PRODUCTION_READY,
    )
    security = MaturityDomain.objects.get(slug="security")
    DomainScore.objects.create(audit=audit, domain=security, score=9, source=DomainScore.Source.IMPORTED)
    Finding.objects.create(
        project=project,
        title="Secrets in logs",
        severity=Severity.CRITICAL,
        domain=security,
        fingerprint="crit",
    )
    scoring.audit_recompute(audit=audit)
    client.force_login(manager)
    response = client.get(audit.get_absolute_url())
    html = response.content.decode()
    assert 'id="verdict-mismatch"' in html
    assert "Not production ready" in html
    assert response.context["gate"]["open_critical"] == 1


@pytest.mark.django_db
def test_an_older_audit_lists_the_findings_it_saw(client, manager):
    project = build_project(1, findings=0)
    older = project.audits.order_by("audit_date").first()
    Finding.objects.create(
        project=project,
        title="Seen then",
        severity=Severity.HIGH,
        fingerprint="old",
        first_seen_audit=older,
        last_seen_audit=older,
        status=Finding.Status.FIXED,
    )
    Finding.objects.create(project=project, title="Open now", severity=Severity.LOW, fingerprint="new")
    client.force_login(manager)
    response = client.get(older.get_absolute_url())
    assert response.context["is_latest"] is False
    assert [f.title for f in response.context["findings"]] == ["Seen then"]
    assert "superseded by a later audit" in response.content.decode()


@pytest.mark.django_db
def test_a_tech_lead_cannot_read_another_projects_audit(client, tech_lead, other_tech_lead):
    theirs = build_project(2, lead=other_tech_lead)
    client.force_login(tech_lead)
    audit = latest(theirs)
    assert client.get(audit.get_absolute_url()).status_code == 403
    assert client.get(reverse("audit-markdown", args=[audit.pk])).status_code == 403


@pytest.mark.django_db
def test_the_markdown_download_is_the_exported_report(client, manager):
    audit = latest(build_project(1))
    client.force_login(manager)
    response = client.get(reverse("audit-markdown", args=[audit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/markdown")
    assert 'attachment; filename="project-0001-audit-' in response["Content-Disposition"]
    assert audit.title in response.content.decode()


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_findings_or_checklist_items(client, manager):
    client.force_login(manager)
    small = latest(build_project(1, findings=2, checklist_items=2))
    big = latest(build_project(2, findings=400, checklist_items=50))

    def count(audit):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(audit.get_absolute_url()).status_code == 200
        return len(queries)

    assert count(small) == count(big)


@pytest.mark.django_db
def test_other_metrics_are_shown_with_readable_labels_and_units(client, manager, project):
    audit = Audit.objects.create(
        project=project,
        title="Report",
        status=Audit.Status.COMPLETED,
        extra_metrics={
            "response_time_ms": 180.0,
            "availability_percent": 99.95,
            "already_in_production": True,
            "dette technique": "12 jours",
        },
    )
    client.force_login(manager)
    assert client.get(audit.get_absolute_url()).context["extra_metrics"] == [
        ("Already in production", "yes"),
        ("Availability", "99.95%"),
        ("Dette technique", "12 jours"),
        ("Response time", "180 ms"),
    ]
