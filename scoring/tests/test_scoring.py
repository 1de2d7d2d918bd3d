"""The scoring formula: computed domain scores, global score, levels, readiness gate."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from checklists.models import Checklist, ChecklistItem, ItemState
from findings.models import Finding, Severity
from projects.models import Audit, DomainScore, MaturityDomain
from scoring import formula, gate, levels, measurements
from scoring import services as scoring
from scoring.evidence import RAN, AnalyzerRun, LanguageLines, RepositoryProfile
from scoring.models import ProjectSummary

D = Decimal


def domain(slug):
    return MaturityDomain.objects.get(slug=slug)


def finding(project, slug, severity, status=Finding.Status.OPEN, n=[0]):  # noqa: B006
    n[0] += 1
    return Finding.objects.create(
        project=project,
        title=f"finding {n[0]}",
        severity=severity,
        domain=domain(slug),
        status=status,
        fingerprint=f"fp{n[0]}",
    )


def checklist(project, items, audit=None):
    checklist = Checklist.objects.create(project=project, title="Go-live", audit=audit)
    for i, (slug, state, critical) in enumerate(items):
        ChecklistItem.objects.create(
            checklist=checklist,
            order=i,
            text=f"item {i}",
            domain=domain(slug),
            state=state,
            is_critical=critical,
            note="does not apply" if state == ItemState.NOT_APPLICABLE else "",
        )
    return checklist


def record(audit, python_lines):
    """A re-scan of the audit read `python_lines` of production Python, and found nothing new."""
    measurements.audit_record_measurements(
        audit_id=audit.pk,
        profile=RepositoryProfile(languages=(LanguageLines("Python", production=python_lines),)),
        runs=[AnalyzerRun("semgrep", ("security",), ("Python",), RAN, covered_lines=python_lines)],
    )


@pytest.fixture
def completed(project):
    return Audit.objects.create(project=project, title="Audit", status=Audit.Status.COMPLETED)


def score_of(audit, slug):
    return DomainScore.objects.filter(audit=audit, domain__slug=slug).first()


@pytest.mark.django_db
class TestComputedDomainScores:
    def test_a_domain_without_evidence_is_not_measured_rather_than_zero(self, completed):
        scoring.audit_recompute(audit=completed)
        assert score_of(completed, "security") is None
        completed.refresh_from_db()
        assert completed.global_score is None
        assert completed.computed_verdict == Audit.Verdict.UNKNOWN

    def test_checklist_completion_counts_done_over_applicable_and_excludes_not_applicable(
        self, project, completed
    ):
        checklist(
            project,
            [
                ("deployment", ItemState.DONE, False),
                ("deployment", ItemState.TODO, False),
                ("deployment", ItemState.DONE, False),
                ("deployment", ItemState.NOT_APPLICABLE, False),
            ],
        )
        scoring.audit_recompute(audit=completed)
        score = score_of(completed, "deployment")
        assert score.score == D("6.7")  # 2 done of 3 applicable
        assert score.source == DomainScore.Source.COMPUTED
        assert score.formula_version == scoring.FORMULA_VERSION
        assert score.evidence[0]["label"] == "Checklist items done: 2 of 3 applicable"

    def test_formula_1_0_subtracts_a_penalty_weighted_by_severity(self, project, completed):
        # Formula 1.0 stays available for previews and an explicit roll-back.
        checklist(project, [("security", ItemState.DONE, False)])
        finding(project, "security", Severity.HIGH)
        finding(project, "security", Severity.MEDIUM)
        finding(project, "security", Severity.LOW)
        finding(project, "security", Severity.HIGH, status=Finding.Status.FIXED)
        scoring.audit_recompute(audit=completed, formula_version="1.0")
        score = score_of(completed, "security")
        assert score.score == D("7.9")  # 10 - 1.5 - 0.5 - 0.1
        assert score.formula_version == "1.0"
        listed = [e for e in score.evidence if e["kind"] == "finding"]
        assert len(listed) == 3
        assert listed[0]["label"].startswith("[High]")
        assert listed[0]["url"].startswith("/admin/findings/finding/")

    def test_an_open_critical_finding_caps_the_domain(self, project, completed):
        checklist(project, [("security", ItemState.DONE, False)] * 3)
        finding(project, "security", Severity.CRITICAL)
        # A large code base, so the finding's density alone would leave the score above the cap.
        record(completed, python_lines=200_000)
        scoring.audit_recompute(audit=completed)
        score = score_of(completed, "security")
        assert score.score == formula.CRITICAL_FINDING_CAP
        assert score.evidence[0]["kind"] == "cap"

    def test_a_critical_checklist_item_still_to_do_caps_the_domain(self, project, completed):
        checklist(project, [("security", ItemState.DONE, False)] * 9 + [("security", ItemState.TODO, True)])
        scoring.audit_recompute(audit=completed)
        assert score_of(completed, "security").score == formula.CRITICAL_ITEM_CAP

    def test_testing_uses_coverage_and_the_test_pass_rate(self, project, completed):
        completed.coverage_percent = D("80")
        completed.tests_passed, completed.tests_failed = 90, 10
        completed.save()
        scoring.audit_recompute(audit=completed)
        score = score_of(completed, "testing")
        assert score.score == D("8.5")  # mean(8.0, 9.0)
        assert {e["kind"] for e in score.evidence} == {"metric"}

    def test_manual_and_imported_scores_are_kept_as_entered(self, project, completed):
        DomainScore.objects.create(
            audit=completed,
            domain=domain("security"),
            score=D("9.0"),
            source=DomainScore.Source.MANUAL,
            rationale="pen test",
        )
        finding(project, "security", Severity.CRITICAL)
        scoring.audit_recompute(audit=completed)
        assert score_of(completed, "security").score == D("9.0")

    def test_a_computed_score_whose_evidence_disappeared_becomes_not_measured(self, project, completed):
        f = finding(project, "observability", Severity.MEDIUM)
        scoring.audit_recompute(audit=completed)
        # Findings alone, size unknown: base 5 (nothing was read cleanly), one medium finding
        # of unknown confidence = 1.4 points on the minimum 1,000 lines: 5 x exp(-1.4 / 10).
        assert score_of(completed, "observability").score == D("4.3")
        f.status = Finding.Status.FIXED
        f.save()
        scoring.audit_recompute(audit=completed)
        assert score_of(completed, "observability") is None


@pytest.mark.django_db
class TestGlobalScoreAndGate:
    def test_the_global_score_is_the_weighted_mean_of_measured_domains(self, project, completed):
        DomainScore.objects.create(
            audit=completed, domain=domain("security"), score=D("8"), source=DomainScore.Source.MANUAL
        )  # weight 1.50
        DomainScore.objects.create(
            audit=completed, domain=domain("documentation"), score=D("4"), source=DomainScore.Source.MANUAL
        )  # weight 0.75
        scoring.audit_recompute(audit=completed)
        completed.refresh_from_db()
        assert completed.global_score == D("6.7")  # (8*1.5 + 4*0.75) / 2.25 = 6.67

    def test_production_ready_needs_no_open_high_finding(self, project, completed):
        DomainScore.objects.create(
            audit=completed, domain=domain("architecture"), score=D("9"), source=DomainScore.Source.MANUAL
        )
        scoring.audit_recompute(audit=completed)
        completed.refresh_from_db()
        assert completed.computed_verdict == Audit.Verdict.PRODUCTION_READY
        finding(project, "architecture", Severity.HIGH)
        scoring.audit_recompute(audit=completed)
        completed.refresh_from_db()
        assert completed.computed_verdict == Audit.Verdict.WITH_RESERVATIONS

    def test_an_open_critical_finding_means_not_ready_and_flags_a_stated_production_ready(
        self, project, completed
    ):
        DomainScore.objects.create(
            audit=completed, domain=domain("architecture"), score=D("9"), source=DomainScore.Source.IMPORTED
        )
        finding(project, "security", Severity.CRITICAL)
        completed.stated_verdict = Audit.Verdict.PRODUCTION_READY
        completed.save()
        scoring.audit_recompute(audit=completed)
        completed.refresh_from_db()
        assert completed.computed_verdict == Audit.Verdict.NOT_READY
        assert gate.verdict_mismatch(completed) == "overstated"

    @pytest.mark.parametrize(
        "value,level",
        [
            (None, "Not measured"),
            ("10", "Excellent"),
            ("8.5", "Excellent"),
            ("8.4", "Good"),
            ("7", "Good"),
            ("5.5", "Average"),
            ("4", "Insufficient"),
            ("3.9", "Critical"),
            ("0", "Critical"),
        ],
    )
    def test_levels_follow_the_bands_of_the_sample_reports(self, value, level):
        assert levels.level_for(value).name == level

    def test_level_bands_are_configurable(self, settings):
        settings.AUDITOR_SCORE_LEVELS = [(9, "Top", "top"), (0, "Rest", "rest")]
        assert levels.level_for("8.9").name == "Rest"
        assert levels.level_for("9").name == "Top"


@pytest.mark.django_db
class TestScheduleRecompute:
    def test_runs_once_after_commit_for_the_latest_completed_audit(
        self, project, completed, django_capture_on_commit_callbacks
    ):
        older = Audit.objects.create(
            project=project,
            title="Old",
            status=Audit.Status.COMPLETED,
            audit_date=completed.audit_date.replace(year=2020),
        )
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with transaction.atomic():
                finding(project, "security", Severity.LOW)  # schedules through its signal
                scoring.schedule_recompute(project_id=project.pk)
                scoring.schedule_recompute(project_id=project.pk)
                assert score_of(completed, "security") is None
        # One recompute, one refresh of the trends rollup, and the comparison of the recompute's
        # scores_changed signal (registered by the recompute itself).
        assert len(callbacks) == 3
        # base 5 x (1 - 0.5 x (1 - exp(-0.7 / 20))): a low notice alone.
        assert score_of(completed, "security").score == D("4.9")
        assert score_of(older, "security") is None


@pytest.mark.django_db
def test_the_worked_example_of_formula_1_0_in_docs_scoring_md_holds(project):
    audit = Audit.objects.create(
        project=project,
        title="Backend audit V2",
        status=Audit.Status.COMPLETED,
        coverage_percent=D("77"),
        tests_passed=447,
        tests_failed=3,
    )
    checklist(
        project,
        [("security", ItemState.DONE, False)] * 4
        + [("security", ItemState.TODO, True), ("security", ItemState.NOT_APPLICABLE, False)],
    )
    finding(project, "security", Severity.HIGH)
    finding(project, "security", Severity.MEDIUM)
    finding(project, "security", Severity.MEDIUM)
    DomainScore.objects.create(
        audit=audit, domain=domain("documentation"), score=D("6.0"), source=DomainScore.Source.MANUAL
    )
    scoring.audit_recompute(audit=audit, formula_version="1.0")
    audit.refresh_from_db()
    assert score_of(audit, "security").score == D("5.0")
    assert score_of(audit, "testing").score == D("8.8")
    assert score_of(audit, "documentation").score == D("6.0")
    assert score_of(audit, "performance") is None
    assert audit.global_score == D("6.6")
    assert levels.level_for(audit.global_score).name == "Average"
    assert audit.computed_verdict == Audit.Verdict.WITH_RESERVATIONS


@pytest.mark.django_db
class TestRecomputeOnSingleRowEdits:
    @pytest.fixture
    def completed(self, project, django_capture_on_commit_callbacks):
        # Saving a completed audit schedules its own refresh: run it, as a commit would.
        with django_capture_on_commit_callbacks(execute=True):
            return Audit.objects.create(project=project, title="Audit", status=Audit.Status.COMPLETED)

    def test_an_edited_manual_score_updates_the_global_score_after_commit(
        self, project, completed, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            DomainScore.objects.create(
                audit=completed, domain=domain("security"), score=D("4"), source=DomainScore.Source.MANUAL
            )
        completed.refresh_from_db()
        assert completed.global_score == D("4.0")
        with django_capture_on_commit_callbacks(execute=True):
            score = score_of(completed, "security")
            score.score = D("8")
            score.save()
        completed.refresh_from_db()
        assert completed.global_score == D("8.0")

    def test_a_finding_closed_by_hand_lifts_the_cap_after_commit(
        self, project, completed, django_capture_on_commit_callbacks
    ):
        checklist(project, [("security", ItemState.DONE, False)])
        record(completed, python_lines=200_000)
        with django_capture_on_commit_callbacks(execute=True):
            critical = finding(project, "security", Severity.CRITICAL)
        assert score_of(completed, "security").score == formula.CRITICAL_FINDING_CAP
        with django_capture_on_commit_callbacks(execute=True):
            critical.status = Finding.Status.FIXED
            critical.save()
        assert score_of(completed, "security").score == D("10.0")

    def test_a_rolled_back_schedule_does_not_swallow_the_next_one(
        self, project, completed, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        scoring.schedule_recompute(project_id=project.pk)
                        raise RuntimeError("import failed")
                except RuntimeError:
                    pass
                scoring.schedule_recompute(project_id=project.pk)
        assert len(callbacks) == 1


@pytest.mark.django_db
class TestDomainWeightChange:
    def test_every_audits_global_score_follows_a_new_weight(self, project):
        audits = []
        for year, (security, docs) in ((2024, ("8", "4")), (2025, ("6", "10"))):
            audit = Audit.objects.create(
                project=project,
                title=f"Audit {year}",
                status=Audit.Status.COMPLETED,
                audit_date=dt.date(year, 1, 1),
            )
            DomainScore.objects.create(audit=audit, domain=domain("security"), score=D(security))
            DomainScore.objects.create(audit=audit, domain=domain("documentation"), score=D(docs))
            audits.append(audit)
        MaturityDomain.objects.filter(slug="documentation").update(weight=D("1.50"))
        assert scoring.global_scores_refresh_all() == 1
        for audit, expected in zip(audits, (D("6.0"), D("8.0")), strict=True):
            audit.refresh_from_db()
            assert audit.global_score == expected
        audits[1].refresh_from_db()
        assert audits[1].computed_verdict == Audit.Verdict.PRODUCTION_READY
        summary = ProjectSummary.objects.get(project=project)
        assert (summary.global_score, summary.previous_global_score) == (D("8.0"), D("6.0"))

    def test_saving_a_domain_in_the_admin_queues_the_refresh(
        self, project, django_capture_on_commit_callbacks
    ):
        from auditor.celery import app

        audit = Audit.objects.create(project=project, title="A", status=Audit.Status.COMPLETED)
        DomainScore.objects.create(audit=audit, domain=domain("security"), score=D("8"))
        DomainScore.objects.create(audit=audit, domain=domain("documentation"), score=D("4"))
        documentation = domain("documentation")
        documentation.weight = D("1.50")
        eager = app.conf.task_always_eager
        app.conf.task_always_eager = True  # run the task in this process, on this transaction
        try:
            with django_capture_on_commit_callbacks(execute=True):
                documentation.save()
        finally:
            app.conf.task_always_eager = eager
        audit.refresh_from_db()
        assert audit.global_score == D("6.0")
