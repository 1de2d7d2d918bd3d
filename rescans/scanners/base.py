"""The one interface every scanner implements: name, command, parser, domain.

A scanner turns a checked-out repository into a `ScannerOutput`: a list of normalised
findings (what the findings importer receives), plus metrics for the audit. Adding a scanner
(semgrep, pip-audit, gitleaks, ...) is one module with one subclass, listed in `scanners/__init__.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from rescans.runner import CommandResult, run_command, safe_env

SEVERITIES = ("info", "low", "medium", "high", "critical")


class ScannerError(Exception):
    """The scanner failed: its output is missing, unreadable, or it ran out of time or space."""

    def __init__(self, message: str, *, stderr_tail: str = "", timed_out: bool = False):
        super().__init__(message)
        self.stderr_tail = stderr_tail
        self.timed_out = timed_out


@dataclass
class NormalisedFinding:
    rule_id: str
    title: str
    severity: str  # one of SEVERITIES
    file_path: str = ""
    line: int | None = None
    description: str = ""
    confidence: str = ""
    cwe: str = ""
    help_url: str = ""
    domain: str = ""  # a MaturityDomain slug; empty = the scanner's domain
    # An identity that does not depend on the code line (secret hash, repository-level check).
    stable_id: str = ""

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")


@dataclass
class ScannerOutput:
    scanner: str
    tool: str
    findings: list[NormalisedFinding] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    # The scanner's own report, as it printed it (imported as is when the importer knows it).
    raw: bytes = b""
    raw_format: str = ""
    duration_s: float = 0.0


@dataclass
class RunLimits:
    timeout_s: float = 600.0
    max_output_bytes: int = 50 * 1024 * 1024


class Scanner:
    name: ClassVar[str]
    tool: ClassVar[str]  # the `tool` of the findings it produces
    domain: ClassVar[str]  # MaturityDomain slug its findings count against
    raw_format: ClassVar[str] = ""  # the findings importer's format name for `raw`
    ok_returncodes: ClassVar[tuple[int, ...]] = (0,)

    def command(self, workspace: Path) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:  # pragma: no cover - interface
        raise NotImplementedError

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        result = run_command(
            self.command(workspace),
            cwd=workspace,
            timeout_s=limits.timeout_s,
            max_output_bytes=limits.max_output_bytes,
            env=safe_env(home),
        )
        self.check(result, limits)
        try:
            output = self.parse(result.stdout, workspace)
        except (ValueError, KeyError, TypeError) as exc:
            raise ScannerError(
                f"{self.name}: could not read its output ({exc})", stderr_tail=result.stderr_tail
            ) from exc
        output.duration_s = result.duration_s
        return output

    def check(self, result: CommandResult, limits: RunLimits) -> None:
        if result.timed_out:
            raise ScannerError(
                f"{self.name}: timed out after {limits.timeout_s:g} s",
                stderr_tail=result.stderr_tail,
                timed_out=True,
            )
        if result.output_too_large:
            raise ScannerError(
                f"{self.name}: output larger than {limits.max_output_bytes} bytes",
                stderr_tail=result.stderr_tail,
            )
        if result.returncode not in self.ok_returncodes:
            raise ScannerError(
                f"{self.name}: exited with code {result.returncode}", stderr_tail=result.stderr_tail
            )


def relative_path(path: str, workspace: Path) -> str:
    """A path as the repository names it: relative, forward slashes, no leading "./"."""
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(workspace.resolve())
        except ValueError:
            return p.name
    text = p.as_posix()
    while text.startswith("./"):
        text = text[2:]
    return text
