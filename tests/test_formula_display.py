"""Pages show which formula a stored score was computed with, and how much code was measured."""

import datetime as dt

import pytest

from findings.models import Finding, Severity
from projects.models import Audit, MaturityDomain
from scoring import measurements
from scoring import services as scoring
from scoring.evidence import RAN, AnalyzerRun, LanguageLines, RepositoryProfile


@pytest.fixture
def audits(project):
    older = Audit.objects.create(
        project=project, title="Audit 2025", status=Audit.Status.COMPLETED, audit_date=dt.date(2025, 1, 1)
    )
    latest = Audit.objects.create(
        project=project, title="Audit 2026", status=Audit.Status.COMPLETED, audit_date=dt.date(2026, 1, 1)
    )
    Finding.objects.create(
        project=project,
        title="Weak hash",
        severity=Severity.MEDIUM,
        domain=MaturityDomain.objects.get(slug="security"),
        fingerprint="display-1",
        file_path="app/auth.py",
    )
    scoring.audit_recompute(audit=older, formula_version="1.0")
    measurements.audit_record_measurements(
        audit_id=latest.pk,
        profile=RepositoryProfile(
            languages=(LanguageLines("Python", production=3000), LanguageLines("Kotlin", production=1000))
        ),
        runs=[AnalyzerRun("bandit", ("security",), ("Python",), RAN, covered_lines=3000, findings=1)],
    )
    scoring.audit_recompute(audit=latest)
    return older, latest


@pytest.mark.django_db
def test_a_past_audit_page_names_the_formula_its_scores_were_computed_with(client, manager, audits):
    older, latest = audits
    client.force_login(manager)
    html = client.get(f"/audits/{older.pk}/").content.decode()
    assert "Scores computed with formula v1.0 (current formula: v2.0;" in html
    html = client.get(f"/audits/{latest.pk}/").content.decode()
    assert "Scores computed with formula v2.0;" in html


@pytest.mark.django_db
def test_the_share_of_code_measured_shows_beside_the_score(client, manager, project, audits):
    client.force_login(manager)
    html = client.get(project.get_absolute_url()).content.decode()
    label = "Security measured on 75% of the production code: no analyzer for Kotlin"
    assert f'<p class="why-coverage small">{label}</p>' in html
