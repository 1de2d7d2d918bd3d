"""What a re-scan measured, as typed records: the contract between rescans and scoring.

A re-scan knows the repository (`RepositoryProfile`: lines of code per language and per kind of
code, manifests, CI and container files, practices found) and which analyzers ran on which
languages (`AnalyzerRun`). It hands both to `scoring.services.audit_record_measurements`, and the
formula reads them back: a domain is scored only from analyzers that cover the repository's
languages, weighted by the share of production code they read. Pure data: no ORM, no URLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Kinds of code, told apart by path and content (scoring.paths.classify_path).
PRODUCTION = "production"
TEST = "test"
FIXTURE = "fixture"  # fixtures, examples, samples, demo data
DOCS = "docs"
VENDORED = "vendored"  # vendored or generated code
CODE_KINDS = (PRODUCTION, TEST, FIXTURE, DOCS, VENDORED)

# Outcomes of one analyzer on one re-scan.
RAN = "ok"  # ran to the end on the code it covers: its silence is positive evidence
FAILED = "failed"  # started but could not finish: no evidence, the domain may be not measured
NOT_APPLICABLE = "not_applicable"  # covers none of the repository's languages: no evidence


@dataclass(frozen=True)
class LanguageLines:
    """Non-blank lines of one language, by kind of code."""

    language: str
    production: int = 0
    test: int = 0
    fixture: int = 0
    docs: int = 0
    vendored: int = 0

    @property
    def total(self) -> int:
        return self.production + self.test + self.fixture + self.docs + self.vendored


@dataclass(frozen=True)
class RepositoryProfile:
    languages: tuple[LanguageLines, ...] = ()
    # Dependency manifests and lock files (repository-relative paths) and their ecosystems
    # ("PyPI", "npm", "Go", "crates.io", "Maven").
    manifests: tuple[str, ...] = ()
    ecosystems: tuple[str, ...] = ()
    ci_files: tuple[str, ...] = ()
    container_files: tuple[str, ...] = ()
    # Presence checks that work across ecosystems, by name: "readme", "readme_sections",
    # "docs_folder", "ci_runs_tests", "container_healthcheck", "structured_logging", "metrics",
    # "tests_present", ... -> True / False. A missing key means "not checked".
    practices: Mapping[str, bool] = field(default_factory=dict)

    @property
    def production_lines(self) -> int:
        return sum(lang.production for lang in self.languages)

    @property
    def test_lines(self) -> int:
        return sum(lang.test for lang in self.languages)

    def production_lines_in(self, languages: tuple[str, ...] | frozenset[str]) -> int:
        wanted = set(languages)
        return sum(lang.production for lang in self.languages if lang.language in wanted)


@dataclass(frozen=True)
class AnalyzerRun:
    """One analyzer on one re-scan: what it covers, how it ended, what it found."""

    name: str  # "semgrep", "bandit", "ruff", "secrets", "osv", "lizard", ...
    domains: tuple[str, ...]  # domain slugs it measures ("security", "code-quality", ...)
    languages: tuple[str, ...]  # languages of this repository it read (empty: whole-repo checks)
    status: str  # RAN, FAILED or NOT_APPLICABLE
    covered_lines: int = 0  # production lines it read
    findings: int = 0  # findings it reported (all kinds of code)
    suppressed: int = 0  # findings the team suppressed in the code (# nosec, nosemgrep, ...)
    seconds: float = 0.0
    error: str = ""  # why it failed, sanitised, for the re-scan page
