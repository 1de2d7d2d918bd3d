"""Formula 2.0: the score of one maturity domain of one audit, as a pure function.

Inputs are plain dataclasses (what the service layer read from the database), the output is a
score (or None: not measured) with the evidence that explains it. No ORM, no URLs: an evidence
entry names what it refers to (`ref`), and scoring.services turns that into a link.

The formula, in prose (docs/scoring.md has it with worked examples):

    base  = weighted mean of the positive components: checklist completion, test metrics,
            practices found in the repository, and the analyzer evidence. The analyzer evidence
            is 10 on the share of production code that language-bound analyzers read, and the
            other components' mean (or NEUTRAL when there is none) on the rest.
    score = base x findings factor, then capped.
    findings factor = exp(-major density / K_MAJOR) x (1 - MINOR_MAX x (1 - exp(-minor density / K_MINOR)))

where a density is finding points per thousand lines of production code read, a finding's
points are its severity's points x its confidence weight x its kind-of-code weight, and only
low and info notices make up the minor density (so they can never take more than MINOR_MAX of a
score). An open critical finding in production code caps the domain at CRITICAL_FINDING_CAP,
high findings stated with high confidence in production code at CONFIRMED_HIGH_CAP (three or
more: CONFIRMED_HIGH_MANY_CAP), a critical checklist item still to do at CRITICAL_ITEM_CAP; a
critical finding or three confirmed high ones also cap the audit's global score at GLOBAL_CAP.
A domain with no evidence at all, measured only by silent whole-repository checks, or whose
analyzers all failed, is not measured (None), never 0 or 10.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from scoring.evidence import (
    DOCS,
    FAILED,
    FIXTURE,
    PRODUCTION,
    RAN,
    TEST,
    VENDORED,
    AnalyzerRun,
    RepositoryProfile,
)

VERSION = "2.0"

# Points of one finding in production code with high confidence, by severity (Info .. Critical).
SEVERITY_POINTS: Mapping[int, float] = {0: 0.2, 1: 1.0, 2: 2.0, 3: 5.0, 4: 10.0}
MINOR_SEVERITIES = frozenset({0, 1})  # low and info notices: their effect is bounded
# Confidence the tool stated, lower-cased; anything else (or nothing) counts as medium.
CONFIDENCE_WEIGHT: Mapping[str, float] = {
    "verified": 1.0,
    "confirmed": 1.0,
    "certain": 1.0,
    "very-high": 1.0,
    "high": 1.0,
    "medium": 0.7,
    "firm": 0.7,
    "low": 0.4,
    "tentative": 0.4,
    "very-low": 0.4,
}
UNKNOWN_CONFIDENCE_WEIGHT = 0.7
# Findings outside production code still show, at a much lower weight; vendored or generated
# code is not the team's: its findings do not count.
KIND_WEIGHT: Mapping[str, float] = {PRODUCTION: 1.0, TEST: 0.1, FIXTURE: 0.1, DOCS: 0.05, VENDORED: 0.0}
# Outside production code only high and critical findings count (a real key in a fixture).
NON_PRODUCTION_MIN_SEVERITY = 3
KIND_LABEL: Mapping[str, str] = {
    PRODUCTION: "production code",
    TEST: "tests",
    FIXTURE: "fixtures and examples",
    DOCS: "documentation",
    VENDORED: "vendored or generated code",
}
# Densities (points per thousand lines) at which the factor falls to 1/e.
K_MAJOR = 10.0
K_MINOR = 20.0
MINOR_MAX = 0.5  # low and info notices alone never take more than half of a score
MIN_KLOC = 1.0  # a smaller repository counts as one thousand lines (one finding is not diluted to nothing)
NEUTRAL = 5.0  # value of code nobody read, when nothing else says anything about the domain
ANALYZER_WEIGHT = 2.0  # weight of the analyzer evidence beside a checklist or a practice (1 each)
CRITICAL_FINDING_CAP = 3.0
CRITICAL_ITEM_CAP = 5.0
# Confirmed vulnerabilities (high severity, stated with high confidence, of a weakness through
# which outside input takes control: injection, path traversal, unsafe deserialization, SSRF, in
# production code) do not become acceptable in a larger code base: they cap the domain whatever
# the density. A weak primitive (an MD5 call) depends on its use, and stays with the density.
INPUT_CONTROL_CWES = frozenset(
    {
        "CWE-22",  # path traversal
        "CWE-23",
        "CWE-73",
        "CWE-77",  # command injection
        "CWE-78",
        "CWE-79",  # cross-site scripting
        "CWE-89",  # SQL injection
        "CWE-90",  # LDAP injection
        "CWE-91",  # XML injection
        "CWE-94",  # code injection
        "CWE-95",
        "CWE-502",  # deserialization of untrusted data
        "CWE-611",  # XML external entities
        "CWE-643",  # XPath injection
        "CWE-917",  # expression language injection
        "CWE-918",  # server-side request forgery
        "CWE-943",  # NoSQL injection
        "CWE-1336",  # template injection
    }
)
CONFIRMED_HIGH_CAP = 6.0  # one or two: no better than "Average"
CONFIRMED_HIGH_MANY = 3
CONFIRMED_HIGH_MANY_CAP = 4.0  # three or more: "Insufficient" at best
# A domain capped by a critical finding or by many confirmed vulnerabilities caps the global
# score too: a product with such an open problem is not "Good" overall (see the readiness gate).
GLOBAL_CAP = 5.5
# Test code share (test lines / production lines) that earns the full test-share component.
TEST_RATIO_TARGET = 0.5
# Languages counted in lines of code that no analyzer is expected to read (markup, data): left
# out of the share of code an analyzer covers.
NOT_PROGRAM_LANGUAGES = frozenset(
    {
        "html",
        "css",
        "scss",
        "sass",
        "less",
        "markdown",
        "json",
        "yaml",
        "toml",
        "xml",
        "text",
        "svg",
        "restructuredtext",
    }
)
TESTING = "testing"

# Practices found in the repository (RepositoryProfile.practices) and the domain each one is a
# component of: key -> (domain slug, weight, label when present, label when missing).
PRACTICES: Mapping[str, tuple[str, float, str, str]] = {
    "tests_present": (TESTING, 1.0, "Test files present", "No test file found"),
    "ci_runs_tests": (TESTING, 1.0, "CI runs the tests", "CI does not run the tests"),
    "readme": ("documentation", 1.0, "README present", "No README"),
    "readme_sections": ("documentation", 1.0, "README has several sections", "README is thin"),
    "readme_usage": (
        "documentation",
        1.0,
        "README explains installation or use",
        "README does not explain use",
    ),
    "docs_folder": ("documentation", 0.5, "Documentation folder", "No documentation folder"),
    "changelog": ("documentation", 0.5, "Changelog", "No changelog"),
    "ci": ("deployment", 1.0, "CI configuration present", "No CI configuration"),
    "lock_file": (
        "deployment",
        1.0,
        "Dependencies locked or pinned",
        "Dependencies neither locked nor pinned",
    ),
    "container": ("deployment", 0.5, "Container files present", "No container file"),
    "dependency_updates": (
        "deployment",
        0.5,
        "Automated dependency updates",
        "No automated dependency updates",
    ),
    "container_healthcheck": ("deployment", 0.5, "Container health check", "No container health check"),
    "container_non_root": ("deployment", 0.5, "Container runs as non-root", "Container runs as root"),
    "structured_logging": ("observability", 1.0, "Structured logging library", "No structured logging"),
    "metrics": ("observability", 1.0, "Metrics library", "No metrics library"),
    "logging": ("observability", 0.5, "Logging in the code", "No logging in the code"),
    "tracing": ("observability", 0.5, "Tracing library", "No tracing library"),
    "health_endpoint": ("observability", 0.5, "Health endpoint", "No health endpoint"),
}
# Practices of a program that runs and is deployed. A library (the profile's "library" practice:
# packaging metadata, no server entry point, no container) is imported by others: its users
# run it inside their own containers, with their own metrics and logs, and resolve its
# dependencies themselves, so their absence says nothing about it.
SERVICE_PRACTICES = frozenset(
    {
        "container",
        "container_healthcheck",
        "container_non_root",
        "lock_file",
        "structured_logging",
        "metrics",
        "logging",
        "tracing",
        "health_endpoint",
    }
)


# --- inputs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingGroup:
    """Open findings of one domain sharing severity, confidence and kind of code."""

    severity: int
    confidence: str = ""
    kind: str = PRODUCTION
    count: int = 1
    cwe: str = ""  # "CWE-89"


@dataclass(frozen=True)
class ListedFinding:
    """One of the worst findings, listed by itself in the "why"."""

    id: int
    title: str
    severity: int
    kind: str = PRODUCTION
    confidence: str = ""


@dataclass(frozen=True)
class ChecklistItemFact:
    checklist_id: int
    text: str
    done: bool
    critical: bool


@dataclass(frozen=True)
class ChecklistEvidence:
    """Applicable checklist items of a domain ("not applicable" ones are left out)."""

    items: tuple[ChecklistItemFact, ...]

    @property
    def applicable(self) -> int:
        return len(self.items)

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item.done)


@dataclass(frozen=True)
class TestMetrics:
    coverage_percent: float | None = None
    passed: int | None = None
    failing: int = 0  # failed + errors


@dataclass(frozen=True)
class DomainInput:
    slug: str
    checklist: ChecklistEvidence | None = None
    findings: tuple[FindingGroup, ...] = ()
    listed: tuple[ListedFinding, ...] = ()
    metrics: TestMetrics | None = None  # read for the Testing domain only
    profile: RepositoryProfile | None = None
    runs: tuple[AnalyzerRun, ...] = ()  # all runs of the re-scan; those of this domain count
    unmeasured: str = ""  # why the evidence of this audit cannot measure the domain
    lines_hint: int | None = None  # lines of code stated by the audit, when no profile was recorded


# --- outputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    kind: str
    label: str
    effect: str = ""
    ref: tuple[str, int] | None = None  # ("finding" | "checklist" | "metrics", id): the service links it
    value: str = ""  # a number the service reads back (a global cap)


@dataclass(frozen=True)
class DomainResult:
    score: Decimal | None
    why: tuple[Evidence, ...]
    rationale: str
    coverage: float | None = None  # share of production code read by applicable analyzers
    uncovered_languages: tuple[str, ...] = ()
    raw: float | None = None  # unrounded score, for tests of the formula's properties
    global_cap: float | None = None  # the audit's global score may not exceed it


# --- helpers ---------------------------------------------------------------------------------


def round_score(value: float) -> Decimal:
    """One decimal, half up; tiny float noise is removed first so equal scores stay equal."""
    return Decimal(f"{value:.6f}").quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _fmt(value: float) -> str:
    return str(round_score(value))


def _pct(share: float) -> str:
    return f"{math.floor(share * 100 + 0.5)}%"


def confidence_weight(confidence: str) -> float:
    return CONFIDENCE_WEIGHT.get(confidence.strip().lower(), UNKNOWN_CONFIDENCE_WEIGHT)


def finding_points(severity: int, confidence: str = "", kind: str = PRODUCTION) -> float:
    if kind != PRODUCTION and severity < NON_PRODUCTION_MIN_SEVERITY:
        return 0.0  # an assert in a test or a weak hash in an example is not a risk of the product
    return SEVERITY_POINTS.get(severity, 0.0) * confidence_weight(confidence) * KIND_WEIGHT.get(kind, 1.0)


def _is_program(language: str) -> bool:
    return language.strip().lower() not in NOT_PROGRAM_LANGUAGES


@dataclass(frozen=True)
class Coverage:
    applicable: tuple[AnalyzerRun, ...]  # ran, and read code of this repository
    reads_code: bool  # one of them is language-bound: its silence is evidence about the code
    failed: tuple[AnalyzerRun, ...]
    share: float  # production code of program languages read by language-bound analyzers
    read_lines: int  # denominator of densities
    uncovered: tuple[tuple[str, int], ...]  # (language, production lines) nobody read


def domain_coverage(slug: str, profile: RepositoryProfile | None, runs: Iterable[AnalyzerRun]) -> Coverage:
    """Which analyzers of a domain give evidence, and the share of production code they read."""
    mine = [run for run in runs if slug in run.domains]
    production = {
        lang.language: lang.production
        for lang in (profile.languages if profile else ())
        if lang.production > 0
    }
    program_total = sum(lines for language, lines in production.items() if _is_program(language))
    applicable: list[AnalyzerRun] = []
    read: set[str] = set()
    whole_repo = False
    for run in mine:
        if run.status != RAN:
            continue
        if not run.languages:
            whole_repo = True
            applicable.append(run)
            continue
        languages = {language for language in run.languages if language in production}
        if languages:
            read |= languages
            applicable.append(run)
    read_program = sum(production[language] for language in read if _is_program(language))
    share = read_program / program_total if program_total else 0.0
    read_lines = sum(production[language] for language in read)
    if whole_repo:
        read_lines = max(read_lines, sum(production.values()))
    uncovered = tuple(
        sorted(
            (
                (language, lines)
                for language, lines in production.items()
                if language not in read and _is_program(language)
            ),
            key=lambda pair: (-pair[1], pair[0]),
        )
    )
    failed = tuple(run for run in mine if run.status == FAILED)
    return Coverage(tuple(applicable), bool(read), failed, share, read_lines, uncovered)


def _practice_components(slug: str, profile: RepositoryProfile) -> list[tuple[float, float, Evidence]]:
    """(value, weight, evidence) of each practice checked in the repository for this domain."""
    practices = dict(profile.practices)
    inventoried = bool(profile.languages)
    # File lists the inventory filled say as much as a practice flag.
    if inventoried and "ci" not in practices:
        practices["ci"] = bool(profile.ci_files)
    if inventoried and "container" not in practices:
        practices["container"] = bool(profile.container_files)
    if not practices.get("container") and "container_healthcheck" in practices:
        del practices["container_healthcheck"]  # no container: its health check does not apply
    if not practices.get("container"):
        practices.pop("container_non_root", None)
    if practices.get("library"):
        for key in SERVICE_PRACTICES:
            practices.pop(key, None)
    components: list[tuple[float, float, Evidence]] = []
    for key in sorted(practices):
        if key not in PRACTICES:
            continue
        domain, weight, present, missing = PRACTICES[key]
        if domain != slug:
            continue
        value = 10.0 if practices[key] else 0.0
        label = present if practices[key] else missing
        components.append((value, weight, Evidence("practice", label, f"component {_fmt(value)}")))
    if slug == TESTING and inventoried:
        components.extend(_test_code_components(profile))
    return components


def _library_only(slug: str, profile: RepositoryProfile) -> bool:
    """A library's profile, and every practice of this domain is a service practice."""
    keys = {key for key, (domain, *_rest) in PRACTICES.items() if domain == slug}
    return bool(profile.practices.get("library")) and bool(keys) and keys <= SERVICE_PRACTICES


def _test_code_components(profile: RepositoryProfile) -> list[tuple[float, float, Evidence]]:
    program = [lang for lang in profile.languages if _is_program(lang.language)]
    production = sum(lang.production for lang in program)
    if not production:
        return []
    tests = sum(lang.test for lang in program)
    ratio = tests / production
    share_value = 10.0 * min(1.0, ratio / TEST_RATIO_TARGET)
    components = [
        (
            share_value,
            1.0,
            Evidence(
                "practice",
                f"Test code: {tests} lines for {production} lines of production code"
                f" (ratio {ratio:.2f}, full marks from {TEST_RATIO_TARGET:g})",
                f"component {_fmt(share_value)}",
            ),
        )
    ]
    tested = [lang for lang in program if lang.production > 0 and lang.test > 0]
    untested = [lang.language for lang in program if lang.production > 0 and lang.test == 0]
    share = sum(lang.production for lang in tested) / production
    value = 10.0 * share
    label = f"Languages with tests: {_pct(share)} of production code"
    if untested:
        label += f" (no test for {', '.join(sorted(untested))})"
    components.append((value, 1.0, Evidence("practice", label, f"component {_fmt(value)}")))
    return components


def _metric_components(metrics: TestMetrics) -> list[tuple[float, float, Evidence]]:
    components: list[tuple[float, float, Evidence]] = []
    if metrics.coverage_percent is not None:
        value = max(0.0, min(10.0, metrics.coverage_percent / 10.0))
        components.append(
            (
                value,
                1.0,
                Evidence(
                    "metric",
                    f"Line coverage {metrics.coverage_percent:g}%",
                    f"component {_fmt(value)}",
                    ("metrics", 0),
                ),
            )
        )
    passed = metrics.passed or 0
    if metrics.passed is not None or metrics.failing:
        total = passed + metrics.failing
        if total:
            value = 10.0 * passed / total
            components.append(
                (
                    value,
                    1.0,
                    Evidence(
                        "metric",
                        f"Tests: {passed} passed, {metrics.failing} failing or in error",
                        f"component {_fmt(value)}",
                        ("metrics", 0),
                    ),
                )
            )
    return components


@dataclass
class _Points:
    major: float = 0.0
    minor: float = 0.0
    by_kind: dict[str, int] = field(default_factory=dict)
    production_by_severity: dict[int, int] = field(default_factory=dict)
    production_critical: int = 0
    production_confirmed_high: int = 0  # high severity, stated with high confidence


def _points(groups: Iterable[FindingGroup]) -> _Points:
    points = _Points()
    for group in groups:
        if group.count <= 0:
            continue
        value = finding_points(group.severity, group.confidence, group.kind) * group.count
        if group.severity in MINOR_SEVERITIES:
            points.minor += value
        else:
            points.major += value
        points.by_kind[group.kind] = points.by_kind.get(group.kind, 0) + group.count
        if group.kind == PRODUCTION:
            points.production_by_severity[group.severity] = (
                points.production_by_severity.get(group.severity, 0) + group.count
            )
            if group.severity >= 4:
                points.production_critical += group.count
            elif (
                group.severity == 3
                and confidence_weight(group.confidence) >= 1.0
                and group.cwe.upper() in INPUT_CONTROL_CWES
            ):
                points.production_confirmed_high += group.count
    return points


SEVERITY_NAMES = {0: "info", 1: "low", 2: "medium", 3: "high", 4: "critical"}


def findings_factor(major_density: float, minor_density: float) -> float:
    major = math.exp(-major_density / K_MAJOR)
    minor = 1.0 - MINOR_MAX * (1.0 - math.exp(-minor_density / K_MINOR))
    return major * minor


def _run_label(run: AnalyzerRun) -> str:
    where = ", ".join(run.languages) if run.languages else "the whole repository"
    if run.status == RAN:
        found = f"{run.findings} finding{'s' if run.findings != 1 else ''}"
        if run.suppressed:
            found += f", {run.suppressed} suppressed in the code"
        return f"{run.name} read {where}: {found}"
    if run.status == FAILED:
        return f"{run.name} failed on {where}: {run.error or 'no reason given'}"
    return f"{run.name} does not read this repository's languages"


# --- the formula -----------------------------------------------------------------------------


def score_domain(data: DomainInput) -> DomainResult:
    """Score one domain of one audit from its evidence (formula 2.0)."""
    name = data.slug.replace("-", " ").capitalize()
    if data.unmeasured:
        return DomainResult(None, (), f"Not measured: {data.unmeasured}.")

    coverage = domain_coverage(data.slug, data.profile, data.runs)
    run_entries = tuple(
        Evidence("analyzer", _run_label(run)) for run in data.runs if data.slug in run.domains
    )
    if coverage.failed and not coverage.applicable:
        # Its analyzers all failed: what they found before is stale, and silence is not clean.
        reasons = "; ".join(
            f"{run.name} failed ({run.error or 'no reason given'})" for run in coverage.failed
        )
        return DomainResult(None, run_entries, f"Not measured: {reasons}.")

    components: list[tuple[float, float, Evidence]] = []
    why_items: list[Evidence] = []
    critical_todo: list[ChecklistItemFact] = []
    if data.checklist and data.checklist.applicable:
        checklist = data.checklist
        value = 10.0 * checklist.done / checklist.applicable
        components.append(
            (
                value,
                1.0,
                Evidence(
                    "checklist",
                    f"Checklist items done: {checklist.done} of {checklist.applicable} applicable",
                    f"component {_fmt(value)}",
                    ("checklist", checklist.items[0].checklist_id),
                ),
            )
        )
        for item in checklist.items:
            state = "done" if item.done else "to do"
            why_items.append(
                Evidence(
                    "checklist_item",
                    f"{item.text} ({state}{', critical' if item.critical else ''})",
                    "",
                    ("checklist", item.checklist_id),
                )
            )
            if item.critical and not item.done:
                critical_todo.append(item)
    if data.slug == TESTING and data.metrics is not None:
        components.extend(_metric_components(data.metrics))
    if data.profile is not None:
        components.extend(_practice_components(data.slug, data.profile))

    points = _points(data.findings)
    counted = points.major + points.minor > 0 or points.production_critical > 0
    # Whole-repository checks (secrets, dependencies) say nothing about the code they did not
    # flag: alone and silent, they measure nothing.
    analyzed = coverage.reads_code or counted
    if not components and not analyzed:
        if run_entries:
            missing = ", ".join(language for language, _ in coverage.uncovered) or "its languages"
            return DomainResult(None, run_entries, f"Not measured: no analyzer for {missing}.")
        if data.profile is not None and _library_only(data.slug, data.profile):
            return DomainResult(
                None,
                (),
                "Not measured: the repository is a library (packaging metadata, no server entry"
                " point or container); its practices in this domain belong to the services that use it.",
            )
        return DomainResult(
            None, (), "Not measured: no checklist item, finding, metric, practice or analyzer."
        )

    why: list[Evidence] = []
    weight_sum = sum(weight for _, weight, _ in components)
    others = sum(value * weight for value, weight, _ in components) / weight_sum if weight_sum else None
    base_parts = [(value, weight) for value, weight, _ in components]
    if analyzed:
        prior = NEUTRAL if others is None else others
        analyzer_value = prior + coverage.share * (10.0 - prior)
        base_parts.append((analyzer_value, ANALYZER_WEIGHT))
        if coverage.reads_code:
            label = f"{name} measured on {_pct(coverage.share)} of the production code"
            if coverage.uncovered:
                label += ": no analyzer for " + ", ".join(language for language, _ in coverage.uncovered)
            why.append(Evidence("coverage", label, f"component {_fmt(analyzer_value)}"))
        else:
            why.append(
                Evidence(
                    "coverage",
                    f"{name}: findings without an analyzer run that says how much code was read",
                    f"component {_fmt(analyzer_value)}",
                )
            )
    base = sum(value * weight for value, weight in base_parts) / sum(weight for _, weight in base_parts)

    kloc = max(coverage.read_lines / 1000.0, MIN_KLOC)
    if data.profile is None and data.lines_hint:
        kloc = max(data.lines_hint / 1000.0, MIN_KLOC)
    major_density = points.major / kloc
    minor_density = points.minor / kloc
    factor = findings_factor(major_density, minor_density)
    score = base * factor

    why.extend(entry for _, _, entry in components)
    why.extend(run_entries)
    if points.production_by_severity:
        summary = ", ".join(
            f"{n} {SEVERITY_NAMES.get(sev, str(sev))}"
            for sev, n in sorted(points.production_by_severity.items(), reverse=True)
            if n
        )
        why.append(
            Evidence(
                "findings",
                f"Open findings in production code: {summary}; {major_density:.2f} points per 1,000 lines"
                f" ({minor_density:.2f} from low and info notices, at most x{1 - MINOR_MAX:g})",
                f"x{factor:.2f}",
            )
        )
    elsewhere = {kind: n for kind, n in points.by_kind.items() if kind != PRODUCTION and n}
    if elsewhere:
        parts = ", ".join(
            f"{n} in {KIND_LABEL.get(kind, kind)} (weight {KIND_WEIGHT.get(kind, 1.0):g})"
            for kind, n in sorted(elsewhere.items())
        )
        why.append(
            Evidence(
                "findings", f"Open findings outside production code (high and critical count): {parts}", ""
            )
        )
    for finding in data.listed:
        value = finding_points(finding.severity, finding.confidence, finding.kind)
        where = "" if finding.kind == PRODUCTION else f" (in {KIND_LABEL.get(finding.kind, finding.kind)})"
        why.append(
            Evidence(
                "finding",
                f"[{SEVERITY_NAMES.get(finding.severity, '?').capitalize()}] {finding.title}{where}",
                f"{value:.2f} points",
                ("finding", finding.id),
            )
        )
    why.extend(why_items)

    caps: list[tuple[float, str]] = []
    global_cap: float | None = None
    if points.production_critical:
        caps.append((CRITICAL_FINDING_CAP, "an open critical finding in production code"))
        global_cap = GLOBAL_CAP
    confirmed = points.production_confirmed_high
    if confirmed >= CONFIRMED_HIGH_MANY:
        caps.append(
            (
                CONFIRMED_HIGH_MANY_CAP,
                f"{confirmed} confirmed high vulnerabilities (outside input takes control) in production"
                " code",
            )
        )
        global_cap = GLOBAL_CAP
    elif confirmed:
        caps.append(
            (
                CONFIRMED_HIGH_CAP,
                f"{confirmed} confirmed high vulnerabilit{'ies' if confirmed > 1 else 'y'}"
                " (outside input takes control) in production code",
            )
        )
    if critical_todo:
        caps.append((CRITICAL_ITEM_CAP, "a critical checklist item still to do"))
        for item in critical_todo:
            why.append(
                Evidence(
                    "cap",
                    f"Critical item to do: {item.text}",
                    f"caps at {_fmt(CRITICAL_ITEM_CAP)}",
                    ("checklist", item.checklist_id),
                )
            )
    applied: float | None = None
    for cap, reason in sorted(caps):
        if score > cap:
            score = cap
            applied = cap
            why.insert(0, Evidence("cap", f"Capped at {_fmt(cap)} by {reason}", f"cap {_fmt(cap)}"))
            break
    if global_cap is not None:
        why.insert(
            1 if applied is not None else 0,
            Evidence(
                "global_cap",
                f"Caps the global score at {_fmt(global_cap)}: an open critical problem in production code",
                f"global cap {_fmt(global_cap)}",
                value=_fmt(global_cap),
            ),
        )
    rounded = round_score(score)
    rationale = (
        f"Computed (formula {VERSION}): base {_fmt(base)} from {len(base_parts)} component(s)"
        + (f" (analyzers read {_pct(coverage.share)} of the production code)" if coverage.reads_code else "")
        + f", findings factor x{factor:.2f}"
        + (f", capped at {_fmt(applied)}" if applied is not None else "")
        + f" = {rounded}."
        + (f" It caps the global score at {_fmt(global_cap)}." if global_cap is not None else "")
    )
    return DomainResult(
        score=rounded,
        why=tuple(why),
        rationale=rationale,
        coverage=coverage.share if coverage.reads_code else None,
        uncovered_languages=tuple(language for language, _ in coverage.uncovered)
        if coverage.reads_code
        else (),
        raw=score,
        global_cap=global_cap,
    )
