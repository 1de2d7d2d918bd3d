"""Storing what a re-scan measured and reading it back as the evidence dataclasses."""

import pytest
from django.db import IntegrityError, transaction

from projects.models import Audit
from scoring import gate, measurements
from scoring import services as scoring
from scoring.evidence import FAILED, RAN, AnalyzerRun, LanguageLines, RepositoryProfile
from scoring.models import AuditAnalyzerRun, AuditProfile
from scoring.preview import formula_preview
from scoring.selectors import audit_measurements

PROFILE = RepositoryProfile(
    languages=(
        LanguageLines("Python", production=1200, test=400, fixture=30),
        LanguageLines("Kotlin", production=800, docs=5, vendored=100),
    ),
    manifests=("requirements.txt", "build.gradle.kts"),
    ecosystems=("PyPI", "Maven"),
    ci_files=(".github/workflows/ci.yml",),
    container_files=("Dockerfile",),
    practices={"readme": True, "ci_runs_tests": False},
)
RUNS = [
    AnalyzerRun(
        "bandit", ("security",), ("Python",), RAN, covered_lines=1200, findings=3, suppressed=1, seconds=2.5
    ),
    AnalyzerRun("semgrep", ("security",), ("Python", "Kotlin"), FAILED, error="timed out"),
]


@pytest.fixture
def audit(project):
    return Audit.objects.create(project=project, title="Re-scan", status=Audit.Status.COMPLETED)


@pytest.mark.django_db
class TestRecordMeasurements:
    def test_round_trip_gives_back_the_same_dataclasses(self, audit):
        measurements.audit_record_measurements(audit_id=audit.pk, profile=PROFILE, runs=RUNS)

        measured = audit_measurements(audit_id=audit.pk)
        assert measured.profile == PROFILE
        assert measured.runs == tuple(RUNS)
        row = AuditProfile.objects.get(audit=audit)
        assert (row.production_lines, row.test_lines) == (2000, 400)

    def test_recording_again_replaces_the_earlier_measurements(self, audit):
        measurements.audit_record_measurements(audit_id=audit.pk, profile=PROFILE, runs=RUNS)
        measurements.audit_record_measurements(audit_id=audit.pk, profile=RepositoryProfile(), runs=RUNS[:1])

        measured = audit_measurements(audit_id=audit.pk)
        assert measured.profile == RepositoryProfile()
        assert [r.name for r in measured.runs] == ["bandit"]

    def test_nothing_recorded_reads_as_no_profile_and_no_run(self, audit):
        assert audit_measurements(audit_id=audit.pk) == scoring_selectors_empty()

    @pytest.mark.parametrize(
        ("profile", "runs", "message"),
        [
            (PROFILE, [RUNS[0], RUNS[0]], "appears twice"),
            (PROFILE, [AnalyzerRun("x", (), (), "done")], "status 'done'"),
            (PROFILE, [AnalyzerRun("x", (), (), RAN, findings=-1)], "findings of analyzer 'x'"),
            (
                RepositoryProfile(languages=(LanguageLines("Go", production=-5),)),
                [],
                "Production lines of 'Go'",
            ),
            (RepositoryProfile(practices={"readme": "yes"}), [], "Practice 'readme'"),
        ],
    )
    def test_bad_input_names_the_problem_and_changes_nothing(self, audit, profile, runs, message):
        measurements.audit_record_measurements(audit_id=audit.pk, profile=PROFILE, runs=RUNS)
        with pytest.raises(measurements.MeasurementError, match=message):
            measurements.audit_record_measurements(audit_id=audit.pk, profile=profile, runs=runs)
        assert audit_measurements(audit_id=audit.pk).profile == PROFILE
        assert AuditAnalyzerRun.objects.filter(audit=audit).count() == 2

    def test_unknown_audit_is_refused(self, db):
        with pytest.raises(measurements.MeasurementError, match="Audit 987654 does not exist"):
            measurements.audit_record_measurements(audit_id=987654, profile=PROFILE, runs=[])

    def test_database_refuses_an_unknown_status(self, audit):
        with pytest.raises(IntegrityError), transaction.atomic():
            AuditAnalyzerRun.objects.create(audit=audit, name="x", status="maybe")


def scoring_selectors_empty():
    from scoring.selectors import Measurements

    return Measurements(profile=None, runs=())


@pytest.mark.django_db
def test_a_recompute_reads_the_measurements_and_explains_the_uncovered_share(project, audit):
    from findings.models import Finding, Severity
    from projects.models import DomainScore, MaturityDomain

    measurements.audit_record_measurements(audit_id=audit.pk, profile=PROFILE, runs=RUNS)
    finding = Finding.objects.create(
        project=project,
        title="SQL built from request data",
        severity=Severity.HIGH,
        domain=MaturityDomain.objects.get(slug="security"),
        fingerprint="m-1",
        file_path="app/db.py",
    )
    scoring.audit_recompute(audit=audit)

    score = DomainScore.objects.get(audit=audit, domain__slug="security")
    labels = [e["label"] for e in score.evidence]
    assert "Security measured on 60% of the production code: no analyzer for Kotlin" in labels
    assert "semgrep failed on Python, Kotlin: timed out" in labels
    listed = next(e for e in score.evidence if e["kind"] == "finding")
    assert listed["url"].endswith(f"/findings/finding/{finding.pk}/change/")
    assert score.formula_version == "2.0"


@pytest.mark.django_db
def test_a_practice_the_profile_checked_is_scored_from_the_profile_not_again_from_its_finding(project, audit):
    from findings.models import Finding, Severity
    from projects.models import DomainScore, MaturityDomain

    def testing_score(practices):
        profile = RepositoryProfile(
            languages=(LanguageLines("Go", production=1000, test=800),), practices=practices
        )
        measurements.audit_record_measurements(audit_id=audit.pk, profile=profile, runs=[])
        scoring.audit_recompute(audit=audit)
        return DomainScore.objects.get(audit=audit, domain__slug="testing").score

    Finding.objects.create(
        project=project,
        title="No tests folder or test files",
        severity=Severity.HIGH,
        domain=MaturityDomain.objects.get(slug="testing"),
        fingerprint="no-tests",
        tool="auditor-checks",
        rule_id="no-tests",
    )
    # The profile checked the practice: it is the component, the built-in check's finding is
    # not counted a second time.
    assert testing_score({"tests_present": True}) == 10
    # Not checked by the profile: the finding is evidence like any other.
    assert testing_score({}) < 10


@pytest.mark.django_db
def test_a_no_change_rescan_can_reuse_the_measurements_of_the_audit_it_repeats(project, audit):
    later = Audit.objects.create(project=project, title="Same commit", status=Audit.Status.COMPLETED)
    assert measurements.audit_copy_measurements(source_audit_id=audit.pk, audit_id=later.pk) is False
    assert audit_measurements(audit_id=later.pk).profile is None
    measurements.audit_record_measurements(audit_id=audit.pk, profile=PROFILE, runs=RUNS)
    assert measurements.audit_copy_measurements(source_audit_id=audit.pk, audit_id=later.pk) is True
    assert audit_measurements(audit_id=later.pk) == audit_measurements(audit_id=audit.pk)


@pytest.mark.django_db
def test_findings_on_the_same_line_count_once_as_the_worst(project, audit):
    from findings.models import Finding, Severity
    from projects.models import DomainScore, MaturityDomain

    security = MaturityDomain.objects.get(slug="security")
    profile = RepositoryProfile(languages=(LanguageLines("Python", production=1000),))
    run = AnalyzerRun("bandit", ("security",), ("Python",), RAN, covered_lines=1000)
    measurements.audit_record_measurements(audit_id=audit.pk, profile=profile, runs=[run])

    def score_with(*rows):
        Finding.objects.filter(project=project).delete()
        for i, (severity, line) in enumerate(rows):
            Finding.objects.create(
                project=project,
                title=f"mark_safe {i}",
                severity=severity,
                confidence="high",
                domain=security,
                fingerprint=f"line-{i}",
                file_path="app/views.py",
                line=line,
            )
        scoring.audit_recompute(audit=audit)
        return DomainScore.objects.get(audit=audit, domain=security).score

    one = score_with((Severity.HIGH, 10))
    # B308 and B703 of bandit, and a Semgrep rule, on the same call: one problem.
    assert score_with((Severity.HIGH, 10), (Severity.MEDIUM, 10), (Severity.MEDIUM, 10)) == one
    assert score_with((Severity.HIGH, 10), (Severity.MEDIUM, 11)) < one


@pytest.mark.django_db
def test_a_critical_problem_in_production_caps_the_global_score_and_keeps_capping_it(project, audit):
    from decimal import Decimal

    from findings.models import Finding, Severity
    from projects.models import DomainScore, MaturityDomain

    profile = RepositoryProfile(
        languages=(LanguageLines("Python", production=200_000, test=50_000),),
        practices={"readme": True, "readme_sections": True, "ci": True, "lock_file": True},
    )
    run = AnalyzerRun("semgrep", ("security",), ("Python",), RAN, covered_lines=200_000)
    measurements.audit_record_measurements(audit_id=audit.pk, profile=profile, runs=[run])
    Finding.objects.create(
        project=project,
        title="SQL built from request data",
        severity=Severity.CRITICAL,
        confidence="high",
        domain=MaturityDomain.objects.get(slug="security"),
        fingerprint="crit-1",
        file_path="app/db.py",
        line=3,
    )
    scoring.audit_recompute(audit=audit)
    audit.refresh_from_db()
    rows = DomainScore.objects.filter(audit=audit).values_list("score", "domain__weight")
    assert DomainScore.objects.get(audit=audit, domain__slug="security").score == Decimal("3.0")
    assert gate.global_score(list(rows)) > Decimal("5.5")
    assert audit.global_score == Decimal("5.5")
    # A weight change recomputes every audit's global score in SQL: the cap still holds.
    MaturityDomain.objects.filter(slug="security").update(weight=Decimal("0.10"))
    scoring.global_scores_refresh_all()
    audit.refresh_from_db()
    assert audit.global_score == Decimal("5.5")
    preview = formula_preview(formula_version="2.0")
    assert preview[0].new_global == Decimal("5.5")


@pytest.mark.django_db
def test_confirmed_vulnerabilities_are_told_apart_by_their_cwe(project, audit):
    from decimal import Decimal

    from findings.models import Finding, Severity
    from projects.models import DomainScore, MaturityDomain

    security = MaturityDomain.objects.get(slug="security")
    profile = RepositoryProfile(languages=(LanguageLines("Java", production=300_000),))
    run = AnalyzerRun("semgrep", ("security",), ("Java",), RAN, covered_lines=300_000)
    measurements.audit_record_measurements(audit_id=audit.pk, profile=profile, runs=[run])

    def score_with(cwe):
        Finding.objects.filter(project=project).delete()
        for line in (10, 20, 30):
            Finding.objects.create(
                project=project,
                title="finding",
                severity=Severity.HIGH,
                confidence="high",
                cwe=cwe,
                domain=security,
                fingerprint=f"cwe-{line}",
                file_path="src/main/java/App.java",
                line=line,
            )
        scoring.audit_recompute(audit=audit)
        return DomainScore.objects.get(audit=audit, domain=security).score

    assert score_with("CWE-89") == Decimal("4.0")  # SQL injection, three times: confirmed
    assert score_with("CWE-327") > Decimal("9.0")  # weak hash: the density decides
