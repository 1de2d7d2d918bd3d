"""Formula 2.0 as a pure function: its properties (hypothesis) and the worked examples of
docs/scoring.md."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import formula
from scoring.density import MINOR_MAX
from scoring.evidence import (
    DOCS,
    FAILED,
    FIXTURE,
    NOT_APPLICABLE,
    PRODUCTION,
    RAN,
    TEST,
    VENDORED,
    AnalyzerRun,
    ChecklistEvidence,
    ChecklistItemFact,
    DomainInput,
    FindingGroup,
    LanguageLines,
    RepositoryProfile,
    TestMetrics,
)
from scoring.formula import score_domain

D = Decimal
LANGUAGES = ("Python", "Go", "JavaScript", "Kotlin")
DOMAINS = ("security", "code-quality")

languages_st = st.lists(
    st.tuples(st.sampled_from(LANGUAGES), st.integers(0, 300_000), st.integers(0, 100_000)),
    max_size=4,
    unique_by=lambda t: t[0],
)
runs_st = st.lists(
    st.builds(
        AnalyzerRun,
        name=st.sampled_from(("semgrep", "bandit", "secrets", "osv", "lizard")),
        domains=st.sampled_from((("security",), ("code-quality",), ("security", "code-quality"))),
        languages=st.lists(st.sampled_from(LANGUAGES), max_size=3, unique=True).map(tuple),
        status=st.sampled_from((RAN, RAN, FAILED, NOT_APPLICABLE)),
    ),
    max_size=4,
    unique_by=lambda r: r.name,
)
groups_st = st.lists(
    st.builds(
        FindingGroup,
        severity=st.integers(0, 4),
        confidence=st.sampled_from(("", "high", "medium", "low", "verified")),
        kind=st.sampled_from((PRODUCTION, PRODUCTION, TEST, FIXTURE, DOCS, VENDORED)),
        count=st.integers(1, 500),
        cwe=st.sampled_from(("", "CWE-89", "CWE-327")),
    ),
    max_size=5,
)
checklist_st = st.one_of(
    st.none(),
    st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=6).map(
        lambda items: ChecklistEvidence(
            tuple(
                ChecklistItemFact(1, f"item {i}", done, critical) for i, (done, critical) in enumerate(items)
            )
        )
    ),
)


@st.composite
def inputs(draw: st.DrawFn) -> DomainInput:
    langs = draw(languages_st)
    profile = None
    if langs or draw(st.booleans()):
        profile = RepositoryProfile(
            languages=tuple(LanguageLines(n, production=p, test=t) for n, p, t in langs)
        )
    return DomainInput(
        slug=draw(st.sampled_from(DOMAINS)),
        checklist=draw(checklist_st),
        findings=tuple(draw(groups_st)),
        profile=profile,
        runs=tuple(draw(runs_st)) if profile is not None else (),
        lines_hint=draw(st.one_of(st.none(), st.integers(0, 500_000))),
    )


def raw(data: DomainInput) -> float | None:
    return score_domain(data).raw


def at_most(after: float | None, before: float | None) -> bool:
    """`after` is no better than `before` (None, not measured, compares with nothing)."""
    return after is None or before is None or after <= before + 1e-9


@settings(max_examples=300, deadline=None)
@given(inputs(), groups_st.filter(bool))
def test_adding_a_finding_never_raises_a_score(data: DomainInput, extra: list[FindingGroup]) -> None:
    more = dataclasses.replace(data, findings=data.findings + tuple(extra))
    assert at_most(raw(more), raw(data))
    assert at_most(float(score_domain(more).score or 0), float(score_domain(data).score or 10))


@settings(max_examples=300, deadline=None)
@given(inputs(), st.lists(st.sampled_from(LANGUAGES), max_size=3, unique=True), st.sampled_from(DOMAINS))
def test_a_clean_applicable_run_never_lowers_a_score(
    data: DomainInput, languages: list[str], slug: str
) -> None:
    data = dataclasses.replace(data, slug=slug)
    if data.profile is None:
        data = dataclasses.replace(data, profile=RepositoryProfile())
    clean = AnalyzerRun("extra-analyzer", (slug,), tuple(languages), RAN, covered_lines=0, findings=0)
    before, after = raw(data), raw(dataclasses.replace(data, runs=data.runs + (clean,)))
    if before is not None:
        assert after is not None and after >= before - 1e-9


@settings(max_examples=300, deadline=None)
@given(inputs(), st.integers(1, 200_000))
def test_more_production_code_read_with_the_same_findings_never_lowers_a_score(
    data: DomainInput, extra: int
) -> None:
    if data.profile is None or not data.profile.languages:
        return
    read = {
        lang for run in data.runs if data.slug in run.domains and run.status == RAN for lang in run.languages
    }
    grown = tuple(
        dataclasses.replace(lang, production=lang.production + extra) if lang.language in read else lang
        for lang in data.profile.languages
    )
    bigger = dataclasses.replace(data, profile=dataclasses.replace(data.profile, languages=grown))
    before, after = raw(data), raw(bigger)
    if before is not None:
        assert after is not None and after >= before - 1e-9


@settings(max_examples=300, deadline=None)
@given(
    languages_st,
    st.lists(st.sampled_from(LANGUAGES), max_size=3, unique=True),
    st.sampled_from((FAILED, NOT_APPLICABLE, "stale")),
)
def test_failed_unreadable_or_stale_runs_never_count_as_clean(
    langs: list[tuple[str, int, int]], languages: list[str], status: str
) -> None:
    profile = RepositoryProfile(languages=tuple(LanguageLines(n, production=p, test=t) for n, p, t in langs))
    if status == "stale":
        # A run that "ran" on languages this repository does not have read nothing.
        present = {n for n, p, _ in langs if p}
        run = AnalyzerRun(
            "semgrep",
            ("security",),
            tuple(lang for lang in LANGUAGES if lang not in present) or ("COBOL",),
            RAN,
        )
        result = score_domain(DomainInput("security", profile=profile, runs=(run,)))
    else:
        run = AnalyzerRun("semgrep", ("security",), tuple(languages), status, error="timed out")
        result = score_domain(DomainInput("security", profile=profile, runs=(run,)))
    assert result.score is None
    # The domain's old findings do not make it measured either when its analyzers failed.
    if status == FAILED:
        stale = score_domain(
            DomainInput("security", profile=profile, runs=(run,), findings=(FindingGroup(3, count=4),))
        )
        assert stale.score is None


@settings(max_examples=300, deadline=None)
@given(inputs())
def test_scores_stay_between_0_and_10_and_low_notices_alone_never_reach_0(data: DomainInput) -> None:
    result = score_domain(data)
    if result.score is not None:
        assert D("0") <= result.score <= D("10")
    minor_only = dataclasses.replace(
        data,
        checklist=None,
        findings=tuple(
            dataclasses.replace(g, severity=g.severity % 2, count=g.count * 1000) for g in data.findings
        ),
    )
    notices = score_domain(minor_only)
    if notices.score is not None:
        assert notices.raw is not None and notices.raw >= formula.NEUTRAL * (1 - MINOR_MAX) - 1e-9


def test_nothing_measured_is_not_measured_never_0_or_10() -> None:
    assert score_domain(DomainInput("security")).score is None
    profile = RepositoryProfile(languages=(LanguageLines("Kotlin", production=5000),))
    assert score_domain(DomainInput("security", profile=profile)).score is None
    python_only = AnalyzerRun("bandit", ("security",), ("Python",), RAN)
    result = score_domain(DomainInput("security", profile=profile, runs=(python_only,)))
    assert result.score is None
    assert result.rationale == "Not measured: no analyzer for Kotlin."
    # A whole-repository check that found nothing says nothing about the code.
    secrets = AnalyzerRun("secrets", ("security",), (), RAN)
    assert score_domain(DomainInput("security", profile=profile, runs=(secrets,))).score is None


def test_a_critical_in_tests_does_not_cap_but_one_in_production_does() -> None:
    profile = RepositoryProfile(languages=(LanguageLines("Python", production=200_000, test=50_000),))
    run = AnalyzerRun("semgrep", ("security",), ("Python",), RAN)
    in_tests = score_domain(
        DomainInput("security", profile=profile, runs=(run,), findings=(FindingGroup(4, "high", TEST),))
    )
    in_production = score_domain(
        DomainInput("security", profile=profile, runs=(run,), findings=(FindingGroup(4, "high", PRODUCTION),))
    )
    assert in_tests.score == D("10.0")
    assert in_production.score == D("3.0")
    assert in_production.why[0].label == "Capped at 3.0 by an open critical finding in production code"


def test_vendored_findings_do_not_count_and_do_not_measure() -> None:
    assert (
        score_domain(DomainInput("security", findings=(FindingGroup(4, "high", VENDORED, 50),))).score is None
    )


# --- the worked examples of docs/scoring.md ------------------------------------------------


KOTLIN_SERVICE = RepositoryProfile(
    languages=(
        LanguageLines("Python", production=6200, test=3100),
        LanguageLines("Kotlin", production=3800, test=0),
        LanguageLines("HTML", production=900),
    ),
    ci_files=(".github/workflows/ci.yml",),
    container_files=("Dockerfile",),
    practices={"ci_runs_tests": True, "container_healthcheck": False, "readme": True, "docs_folder": False},
)
KOTLIN_RUNS = (
    AnalyzerRun("semgrep", ("security",), ("Python",), RAN, covered_lines=6200, findings=3),
    AnalyzerRun("bandit", ("security",), ("Python",), RAN, covered_lines=6200, findings=4),
    AnalyzerRun("secrets", ("security",), (), RAN, findings=2),
    AnalyzerRun("osv", ("security",), (), FAILED, error="OSV database not reachable"),
)
KOTLIN_FINDINGS = (
    FindingGroup(3, "", PRODUCTION, 1),  # semgrep: SQL built from a string, confidence not stated
    FindingGroup(2, "high", PRODUCTION, 2),  # bandit: two medium, high confidence
    FindingGroup(1, "high", PRODUCTION, 2),  # bandit: two low notices
    FindingGroup(2, "", PRODUCTION, 2),  # semgrep: two medium
    FindingGroup(3, "", TEST, 2),  # secrets: two fake keys in test fixtures
)


def test_worked_example_security_of_a_python_and_kotlin_service() -> None:
    result = score_domain(
        DomainInput("security", findings=KOTLIN_FINDINGS, profile=KOTLIN_SERVICE, runs=KOTLIN_RUNS)
    )
    # Analyzers read Python: 6,200 of 10,000 lines of program code (HTML is not a program).
    assert result.coverage == 0.62
    assert result.uncovered_languages == ("Kotlin",)
    # analyzer component = 5 + 0.62 x (10 - 5) = 8.1 (no other evidence: the rest counts 5)
    # secrets read the whole repository: densities per 10,000 lines (10.9 KLOC with HTML).
    # major points = 5 x 0.7 + 2 x 2 x 1.0 + 2 x 2 x 0.7 + 2 x 5 x 0.7 x 0.1 = 3.5 + 4 + 2.8 + 0.7 = 11.0
    # major density = 11.0 / 10.9 = 1.009; minor = 2 x 1 x 1.0 / 10.9 = 0.183
    # factor = exp(-1.009 / 10) x (1 - 0.5 x (1 - exp(-0.183 / 20))) = 0.9040 x 0.9954 = 0.8999
    # score = 8.1 x 0.8999 = 7.29 -> 7.3
    assert result.score == D("7.3")
    labels = [e.label for e in result.why]
    assert "Security measured on 62% of the production code: no analyzer for Kotlin" in labels
    assert "osv failed on the whole repository: OSV database not reachable" in labels
    assert (
        "Open findings outside production code (high and critical count): 2 in tests (weight 0.1)" in labels
    )


def test_worked_example_testing_of_the_same_service() -> None:
    result = score_domain(
        DomainInput(
            "testing",
            profile=KOTLIN_SERVICE,
            runs=KOTLIN_RUNS,
            metrics=TestMetrics(coverage_percent=71.0, passed=412, failing=0),
        )
    )
    # coverage 7.1, pass rate 10, CI runs tests 10, test code 3,100 / 10,000 lines of program
    # code = 0.31 of the 0.5 target -> 6.2, languages with tests: Python 6,200 of 10,000 -> 6.2;
    # mean = 39.5 / 5 = 7.9
    assert result.score == D("7.9")


def test_worked_example_deployment_and_documentation_of_the_same_service() -> None:
    deployment = score_domain(DomainInput("deployment", profile=KOTLIN_SERVICE))
    # CI present 10 (weight 1), container present 10 (0.5), no health check 0 (0.5): 15 / 2 = 7.5
    assert deployment.score == D("7.5")
    documentation = score_domain(DomainInput("documentation", profile=KOTLIN_SERVICE))
    # README 10 (weight 1), no docs folder 0 (weight 0.5): 10 / 1.5 = 6.67
    assert documentation.score == D("6.7")
    # Nothing checks observability in this repository: not measured.
    assert score_domain(DomainInput("observability", profile=KOTLIN_SERVICE)).score is None


def test_worked_example_a_small_deliberately_vulnerable_app() -> None:
    profile = RepositoryProfile(languages=(LanguageLines("Python", production=520),))
    runs = (AnalyzerRun("semgrep", ("security",), ("Python",), RAN, covered_lines=520, findings=10),)
    findings = (FindingGroup(3, "", PRODUCTION, 7), FindingGroup(2, "", PRODUCTION, 3))
    result = score_domain(DomainInput("security", findings=findings, profile=profile, runs=runs))
    # 7 x 5 x 0.7 + 3 x 2 x 0.7 = 28.7 points on the minimum 1,000 lines; exp(-28.7 / 10) = 0.057
    assert result.score == D("0.6")


def test_worked_example_a_large_clean_library_with_many_low_notices() -> None:
    profile = RepositoryProfile(languages=(LanguageLines("Python", production=130_000),))
    runs = (AnalyzerRun("bandit", ("security",), ("Python",), RAN, covered_lines=130_000, findings=2000),)
    result = score_domain(
        DomainInput(
            "security", findings=(FindingGroup(1, "high", PRODUCTION, 2000),), profile=profile, runs=runs
        )
    )
    # minor density 2,000 / 130 = 15.4; 1 - 0.5 x (1 - exp(-15.4 / 20)) = 0.73: never below 5
    assert result.score == D("7.3")


def test_low_and_medium_findings_outside_production_code_do_not_count() -> None:
    profile = RepositoryProfile(languages=(LanguageLines("Python", production=5000, test=4000),))
    run = AnalyzerRun("bandit", ("security",), ("Python",), RAN)
    asserts_in_tests = (FindingGroup(1, "high", TEST, 563), FindingGroup(2, "low", TEST, 120))
    result = score_domain(DomainInput("security", profile=profile, runs=(run,), findings=asserts_in_tests))
    assert result.score == D("10.0")
    assert "Open findings outside production code (high and critical count): 683 in tests (weight 0.1)" in [
        e.label for e in result.why
    ]


def test_confirmed_high_findings_cap_the_domain_whatever_the_size() -> None:
    profile = RepositoryProfile(languages=(LanguageLines("Java", production=500_000, test=100_000),))
    run = AnalyzerRun("semgrep", ("security",), ("Java",), RAN)

    def security(*groups: FindingGroup) -> formula.DomainResult:
        return score_domain(DomainInput("security", profile=profile, runs=(run,), findings=groups))

    one = security(FindingGroup(3, "high", PRODUCTION, 1, cwe="CWE-89"))
    assert one.score == D("6.0") and one.global_cap is None
    many = security(
        FindingGroup(3, "high", PRODUCTION, 2, cwe="CWE-22"), FindingGroup(3, "high", cwe="CWE-502")
    )
    assert many.score == D("4.0") and many.global_cap == formula.GLOBAL_CAP
    assert many.why[0].label == (
        "Capped at 4.0 by 3 confirmed high vulnerabilities (outside input takes control) in production code"
    )
    assert many.why[1].label == "Caps the global score at 5.5: an open critical problem in production code"
    # Not confirmed (medium confidence), in tests, or a weak primitive (MD5): the density decides.
    assert security(FindingGroup(3, "medium", PRODUCTION, 3, cwe="CWE-89")).score == D("10.0")
    assert security(FindingGroup(3, "high", TEST, 3, cwe="CWE-89")).score == D("10.0")
    assert security(FindingGroup(3, "high", PRODUCTION, 4, cwe="CWE-327")).score == D("10.0")


# --- libraries -------------------------------------------------------------------------------


def _library_profile(library: bool) -> RepositoryProfile:
    return RepositoryProfile(
        languages=(LanguageLines("Go", production=4000, test=6000),),
        ci_files=(".github/workflows/ci.yml",),
        practices={
            "library": library,
            "ci_runs_tests": True,
            "lock_file": False,
            "dependency_updates": True,
            "structured_logging": False,
            "metrics": False,
            "logging": False,
            "tracing": False,
            "health_endpoint": False,
        },
    )


def test_a_library_is_not_judged_on_the_practices_of_a_running_service() -> None:
    library, service = _library_profile(True), _library_profile(False)

    observability = score_domain(DomainInput("observability", profile=library))
    assert observability.score is None
    assert "library" in observability.rationale
    assert score_domain(DomainInput("observability", profile=service)).score == D("0.0")

    # A library: CI present 10 (weight 1) and dependency updates 10 (0.5); no container and no
    # lock file expected. The same repository deployed as a service: + container 0 (0.5) and
    # lock file 0 (1): 15 / 3 = 5.0.
    assert score_domain(DomainInput("deployment", profile=library)).score == D("10.0")
    assert score_domain(DomainInput("deployment", profile=service)).score == D("5.0")


def test_a_checklist_still_measures_the_observability_of_a_library() -> None:
    item = ChecklistItemFact(checklist_id=1, text="Errors carry context", done=True, critical=False)
    result = score_domain(
        DomainInput("observability", profile=_library_profile(True), checklist=ChecklistEvidence((item,)))
    )
    assert result.score == D("10.0")
