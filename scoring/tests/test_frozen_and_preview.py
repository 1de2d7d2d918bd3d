"""Past scores never change silently; a formula change is previewed, then applied explicitly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from findings.models import Finding, Severity
from projects.models import Audit, DomainScore, MaturityDomain
from scoring import measurements
from scoring import services as scoring
from scoring.evidence import RAN, AnalyzerRun, LanguageLines, RepositoryProfile
from scoring.models import ProjectSummary
from scoring.preview import formula_preview

D = Decimal


def make_finding(project, severity, path="", n=[0]):  # noqa: B006
    n[0] += 1
    return Finding.objects.create(
        project=project,
        title=f"finding {n[0]}",
        severity=severity,
        domain=MaturityDomain.objects.get(slug="security"),
        fingerprint=f"frozen-{n[0]}",
        file_path=path,
    )


def snapshot(audit):
    rows = DomainScore.objects.filter(audit=audit).order_by("domain_id")
    audit.refresh_from_db()
    return (
        [(r.domain_id, r.score, r.formula_version, r.rationale, r.evidence) for r in rows],
        audit.global_score,
        audit.computed_verdict,
    )


@pytest.fixture
def scored_under_1_0(project, django_capture_on_commit_callbacks):
    """The latest completed audit of a project, scored under formula 1.0 before 2.0 shipped."""
    with django_capture_on_commit_callbacks(execute=True):  # as if committed
        older = Audit.objects.create(
            project=project, title="2025", status=Audit.Status.COMPLETED, audit_date=dt.date(2025, 1, 1)
        )
        latest = Audit.objects.create(
            project=project, title="2026", status=Audit.Status.COMPLETED, audit_date=dt.date(2026, 1, 1)
        )
        make_finding(project, Severity.HIGH, "app/db.py")
        make_finding(project, Severity.MEDIUM, "tests/test_db.py")
    scoring.audit_recompute(audit=older, formula_version="1.0")
    scoring.audit_recompute(audit=latest, formula_version="1.0")
    measurements.audit_record_measurements(
        audit_id=latest.pk,
        profile=RepositoryProfile(languages=(LanguageLines("Python", production=4000, test=2000),)),
        runs=[AnalyzerRun("semgrep", ("security",), ("Python",), RAN, covered_lines=4000, findings=2)],
    )
    return older, latest


def security(audit):
    return DomainScore.objects.get(audit=audit, domain__slug="security")


@pytest.mark.django_db
class TestFrozenScores:
    def test_recompute_scores_keeps_an_audit_scored_under_another_formula(self, project, scored_under_1_0):
        _, latest = scored_under_1_0
        before = snapshot(latest)
        assert security(latest).score == D("8.0")  # 10 - 1.5 - 0.5 under 1.0
        out = StringIO()
        call_command("recompute_scores", stdout=out)
        assert snapshot(latest) == before
        assert f"Kept 1 project(s) scored under another formula version: {project.slug}" in out.getvalue()
        assert "recompute_scores --apply-formula 2.0" in out.getvalue()

    def test_apply_formula_rescores_the_latest_audit_and_says_what_it_was(self, scored_under_1_0):
        older, latest = scored_under_1_0
        older_before = snapshot(older)
        out = StringIO()
        call_command("recompute_scores", "--apply-formula", "2.0", stdout=out)
        assert "Recomputed 1 project(s) with formula 2.0" in out.getvalue()
        score = security(latest)
        assert score.formula_version == "2.0"
        assert score.rationale.endswith("Was 8.0 under formula 1.0.")
        # Only the high finding is in production code (the medium one is in a test).
        assert "Open findings in production code: 1 high" in [
            e["label"].split(";")[0] for e in score.evidence
        ]
        # Past audits are snapshots: applying a formula never rewrites them.
        assert snapshot(older) == older_before

    def test_new_evidence_rescores_the_latest_audit_under_the_current_formula(
        self, project, scored_under_1_0, django_capture_on_commit_callbacks
    ):
        older, latest = scored_under_1_0
        older_before = snapshot(older)
        with django_capture_on_commit_callbacks(execute=True):
            make_finding(project, Severity.LOW, "app/views.py")
        assert security(latest).formula_version == scoring.FORMULA_VERSION
        assert snapshot(older) == older_before

    def test_a_recompute_under_the_same_version_follows_the_evidence(self, project, scored_under_1_0):
        _, latest = scored_under_1_0
        call_command("recompute_scores", "--apply-formula", "2.0", stdout=StringIO())
        first = security(latest).score
        Finding.objects.filter(project=project).update(status=Finding.Status.FIXED)
        call_command("recompute_scores", stdout=StringIO())
        assert security(latest).score > first

    def test_an_unknown_version_is_refused_and_nothing_changes(self, scored_under_1_0):
        _, latest = scored_under_1_0
        before = snapshot(latest)
        with pytest.raises(CommandError, match="Unknown formula version '3.0'; known versions: 1.0, 2.0"):
            call_command("recompute_scores", "--apply-formula", "3.0", stdout=StringIO())
        assert snapshot(latest) == before


@pytest.mark.django_db
class TestPreview:
    def test_the_preview_prints_old_new_and_delta_per_project_and_domain_and_writes_nothing(
        self, project, scored_under_1_0
    ):
        _, latest = scored_under_1_0
        before = snapshot(latest)
        summary_before = ProjectSummary.objects.filter(project=project).values().first()
        out = StringIO()
        call_command("scores_preview", "--formula", "2.0", stdout=out)
        text = out.getvalue()
        assert snapshot(latest) == before
        assert ProjectSummary.objects.filter(project=project).values().first() == summary_before

        preview = formula_preview(formula_version="2.0")
        assert [p.slug for p in preview] == [project.slug]
        row = next(d for d in preview[0].domains if d.slug == "security")
        assert (row.old, row.old_version, row.source) == (D("8.0"), "1.0", "computed")
        assert row.new is not None and row.delta == row.new - D("8.0")
        assert "The portfolio under formula 2.0 vs the stored scores (nothing is written)." in text
        assert f"{project.name} ({project.slug}) - 2026" in text
        line = next(line for line in text.splitlines() if line.strip().startswith("Security"))
        assert line.split()[1:4] == ["8.0", str(row.new), f"{row.delta:+}"]
        assert line.endswith("computed 1.0")
        assert "1 project(s), " in text

    def test_stated_scores_stay_as_they_are_in_the_preview(self, project, scored_under_1_0):
        _, latest = scored_under_1_0
        DomainScore.objects.create(
            audit=latest,
            domain=MaturityDomain.objects.get(slug="documentation"),
            score=D("6.0"),
            source=DomainScore.Source.MANUAL,
        )
        preview = formula_preview(formula_version="2.0")
        row = next(d for d in preview[0].domains if d.slug == "documentation")
        assert (row.old, row.new, row.delta) == (D("6.0"), D("6.0"), D("0.0"))

    def test_an_unknown_version_or_project_is_a_clear_error(self, scored_under_1_0):
        with pytest.raises(CommandError, match="Unknown formula version '9'"):
            call_command("scores_preview", "--formula", "9", stdout=StringIO())
        with pytest.raises(CommandError, match="Unknown project slug"):
            call_command("scores_preview", "nope", stdout=StringIO())


@pytest.mark.django_db
class TestAdminPreview:
    URL = "/admin/scoring/auditanalyzerrun/formula-preview/"

    def test_the_admin_page_previews_the_portfolio_without_writing(
        self, client, admin, project, scored_under_1_0
    ):
        _, latest = scored_under_1_0
        before = snapshot(latest)
        client.force_login(admin)
        response = client.get(self.URL, {"formula": "2.0"})
        assert response.status_code == 200
        html = response.content.decode()
        assert f"{project.name} — 2026" in html
        assert "manage.py recompute_scores --apply-formula 2.0" in html
        assert response.context["changed"] >= 1
        assert snapshot(latest) == before

    def test_an_unknown_version_is_a_clear_message(self, client, admin, scored_under_1_0):
        client.force_login(admin)
        response = client.get(self.URL, {"formula": "7.7"})
        assert response.status_code == 200
        assert (
            "Unknown formula version &#x27;7.7&#x27;; known versions: 1.0, 2.0." in response.content.decode()
        )

    def test_only_those_who_see_every_project_may_preview_the_portfolio(
        self, client, tech_lead, scored_under_1_0
    ):
        client.force_login(tech_lead)
        assert client.get(self.URL).status_code == 403
