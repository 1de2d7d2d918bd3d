"""What each analyzer covers, and how its run becomes a `scoring.evidence.AnalyzerRun`.

An analyzer declares the languages it reads (None: it checks the whole repository, whatever the
languages) and the domains it measures. A run on a repository none of whose production code it
can read is NOT_APPLICABLE (no evidence, never "clean"); a run that did not finish is FAILED; only
a finished run on code it reads is RAN, and its covered lines are the production lines of the
files it was given (or, for Semgrep, that it reports having scanned).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from rescans.inventory import Inventory, SourceFile
from rescans.runner import CommandResult, run_command, safe_env
from rescans.scanners.base import RunLimits, Scanner, ScannerError, ScannerOutput
from scoring.evidence import FAILED, NOT_APPLICABLE, RAN, AnalyzerRun


@dataclass(frozen=True)
class Coverage:
    languages: frozenset[str] | None  # None: whole-repository checks
    domains: tuple[str, ...]


# The analyzers that existed before coverage was declared, described here rather than in them.
KNOWN = {
    "bandit": Coverage(frozenset({"Python"}), ("security",)),
    "ruff": Coverage(frozenset({"Python"}), ("code-quality",)),
    "detect-secrets": Coverage(None, ("security",)),
    "checks": Coverage(None, ("architecture", "documentation", "testing", "deployment", "security")),
    "artifacts": Coverage(None, ("testing",)),
}


class InventoryScanner(Scanner):
    """A scanner that reads the repository inventory first (which files, of which kind)."""

    languages: ClassVar[frozenset[str] | None] = None
    domains: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self.inventory: Inventory | None = None
        # What it read, once it ran: files (per-file analyzers) or languages (manifest readers).
        self.read_paths: list[str] | None = None
        self.read_languages: list[str] | None = None

    def prepare(self, inventory: Inventory) -> None:
        self.inventory = inventory

    def require_inventory(self) -> Inventory:
        if self.inventory is None:
            raise ScannerError(f"{self.name}: the repository could not be listed; not measured")
        return self.inventory

    def targets(self) -> list[SourceFile]:
        """The production files of the languages this scanner reads."""
        return self.require_inventory().production_files(self.languages)

    # The operating system's address-space limit kills tools whose runtime reserves far more
    # virtual memory than it uses (Semgrep's engine); those bound their memory themselves.
    address_space_limit: ClassVar[bool] = True

    def execute(
        self,
        args: list[str],
        workspace: Path,
        limits: RunLimits,
        home: str,
        env: dict[str, str] | None = None,
    ) -> CommandResult:
        """Run one command of this scanner under the re-scan's limits; raise ScannerError on failure."""
        system = dataclasses.replace(limits.system, niceness=self.niceness)
        if not self.address_space_limit:
            system = dataclasses.replace(system, memory_bytes=None)
        result = run_command(
            args,
            cwd=workspace,
            timeout_s=limits.timeout_s,
            max_output_bytes=limits.max_output_bytes,
            env={**safe_env(home), **(env or {})},
            limits=system,
        )
        self.check(result, limits, workspace)
        self.keep_raw(result)
        return result


# Past this many characters of file names, a tool is given "." instead (command-line limit).
MAX_TARGET_CHARS = 200_000


def production_targets(inventory: Inventory, languages: frozenset[str]) -> list[str] | None:
    """The production files of these languages as command-line targets; None when there are
    none or too many to name (the tool then reads the whole checkout)."""
    paths = [f.path for f in inventory.production_files(languages)]
    if not paths or sum(len(p) + 1 for p in paths) > MAX_TARGET_CHARS:
        return None
    return paths


def coverage_of(scanner: Scanner) -> Coverage:
    if isinstance(scanner, InventoryScanner):
        return Coverage(scanner.languages, scanner.domains or (scanner.domain,))
    return KNOWN.get(scanner.name, Coverage(None, (scanner.domain,)))


def analyzer_run(
    scanner: Scanner,
    part: dict[str, Any],
    output: ScannerOutput | None,
    inventory: Inventory,
) -> AnalyzerRun:
    """The contract record of one scanner's part of a re-scan (part: the re-scan's status dict)."""
    coverage = coverage_of(scanner)
    profile = inventory.profile
    production = {lang.language: lang.production for lang in profile.languages if lang.production}
    read_paths = getattr(scanner, "read_paths", None)
    read_languages = getattr(scanner, "read_languages", None)
    if read_paths is not None:
        by_path = inventory.lines_by_path()
        files = [by_path[p] for p in read_paths if p in by_path and by_path[p].kind == "production"]
        languages = sorted({f.language for f in files})
        covered = sum(f.lines for f in files)
    elif read_languages is not None:
        languages = sorted(set(read_languages) & set(production))
        covered = sum(production[lang] for lang in languages)
    elif coverage.languages is None:
        languages = []
        covered = profile.production_lines
    else:
        languages = sorted(lang for lang in production if lang in coverage.languages)
        covered = sum(production[lang] for lang in languages)
    bound_to_languages = coverage.languages is not None or read_languages is not None
    # No coverage or test report in the repository: nothing was measured, not "all good".
    no_artifacts = scanner.name == "artifacts" and output is not None and not output.metrics.get("artifacts")
    if part.get("status") == "ok" and ((bound_to_languages and not languages) or no_artifacts):
        status = NOT_APPLICABLE
    elif part.get("status") == "ok":
        status = RAN
    else:
        status = FAILED
    findings = len(output.findings) if output is not None else 0
    return AnalyzerRun(
        name=scanner.name,
        domains=coverage.domains,
        languages=tuple(languages),
        status=status,
        covered_lines=covered if status == RAN else 0,
        findings=findings,
        suppressed=int(getattr(output, "suppressed", 0) or 0) if output is not None else 0,
        seconds=float(part.get("duration_s") or 0.0),
        error=str(part.get("error") or "")[:500],
    )
