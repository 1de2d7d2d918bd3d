"""What a re-scan measured, as typed records: the contract between rescans and scoring.

A re-scan knows the repository (`RepositoryProfile`: lines of code per language and per kind of
code, manifests, CI and container files, practices found) and which analyzers ran on which
languages (`AnalyzerRun`). It hands both to `scoring.measurements.audit_record_measurements`, and the
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


# --- the formula's inputs and evidence entries ------------------------------------------------


@dataclass(frozen=True)
class FindingGroup:
    """Open findings of one domain sharing severity, confidence and kind of code."""

    severity: int
    confidence: str = ""
    kind: str = PRODUCTION
    count: int = 1
    cwe: str = ""  # "CWE-89"


# How many findings a domain's "why" lists one by one (the worst first; the rest are summed).
EVIDENCE_FINDINGS_LISTED = 25


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


@dataclass(frozen=True)
class Evidence:
    kind: str
    label: str
    effect: str = ""
    ref: tuple[str, int] | None = None  # ("finding" | "checklist" | "metrics", id): the service links it
    value: str = ""  # a number the service reads back (a global cap)
