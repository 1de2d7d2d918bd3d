"""The positive components of a domain's base (formula 2.0, pure).

What raises a score, each as (value on 0-10, weight, evidence entry): the analyzer coverage (the
share of production code that language-bound analyzers read), the practices found in the
repository, the test code beside the production code, and the test metrics an audit states.
scoring.formula weighs them into the base and applies the findings factor and the caps.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from scoring.evidence import FAILED, RAN, AnalyzerRun, Evidence, RepositoryProfile, TestMetrics

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


def round_score(value: float) -> Decimal:
    """One decimal, half up; tiny float noise is removed first so equal scores stay equal."""
    return Decimal(f"{value:.6f}").quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def score_text(value: float) -> str:
    return str(round_score(value))


def percent_text(share: float) -> str:
    return f"{math.floor(share * 100 + 0.5)}%"


def is_program(language: str) -> bool:
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
    program_total = sum(lines for language, lines in production.items() if is_program(language))
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
    read_program = sum(production[language] for language in read if is_program(language))
    share = read_program / program_total if program_total else 0.0
    read_lines = sum(production[language] for language in read)
    if whole_repo:
        read_lines = max(read_lines, sum(production.values()))
    uncovered = tuple(
        sorted(
            (
                (language, lines)
                for language, lines in production.items()
                if language not in read and is_program(language)
            ),
            key=lambda pair: (-pair[1], pair[0]),
        )
    )
    failed = tuple(run for run in mine if run.status == FAILED)
    return Coverage(tuple(applicable), bool(read), failed, share, read_lines, uncovered)


def practice_components(slug: str, profile: RepositoryProfile) -> list[tuple[float, float, Evidence]]:
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
        components.append((value, weight, Evidence("practice", label, f"component {score_text(value)}")))
    if slug == TESTING and inventoried:
        components.extend(_test_code_components(profile))
    return components


def library_only(slug: str, profile: RepositoryProfile) -> bool:
    """A library's profile, and every practice of this domain is a service practice."""
    keys = {key for key, (domain, *_rest) in PRACTICES.items() if domain == slug}
    return bool(profile.practices.get("library")) and bool(keys) and keys <= SERVICE_PRACTICES


def _test_code_components(profile: RepositoryProfile) -> list[tuple[float, float, Evidence]]:
    program = [lang for lang in profile.languages if is_program(lang.language)]
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
                f"component {score_text(share_value)}",
            ),
        )
    ]
    tested = [lang for lang in program if lang.production > 0 and lang.test > 0]
    untested = [lang.language for lang in program if lang.production > 0 and lang.test == 0]
    share = sum(lang.production for lang in tested) / production
    value = 10.0 * share
    label = f"Languages with tests: {percent_text(share)} of production code"
    if untested:
        label += f" (no test for {', '.join(sorted(untested))})"
    components.append((value, 1.0, Evidence("practice", label, f"component {score_text(value)}")))
    return components


def metric_components(metrics: TestMetrics) -> list[tuple[float, float, Evidence]]:
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
                    f"component {score_text(value)}",
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
                        f"component {score_text(value)}",
                        ("metrics", 0),
                    ),
                )
            )
    return components


def run_label(run: AnalyzerRun) -> str:
    where = ", ".join(run.languages) if run.languages else "the whole repository"
    if run.status == RAN:
        found = f"{run.findings} finding{'s' if run.findings != 1 else ''}"
        if run.suppressed:
            found += f", {run.suppressed} suppressed in the code"
        return f"{run.name} read {where}: {found}"
    if run.status == FAILED:
        return f"{run.name} failed on {where}: {run.error or 'no reason given'}"
    return f"{run.name} does not read this repository's languages"
