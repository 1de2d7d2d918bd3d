"""The one interface every scanner implements: name, command, parser, domain.

A scanner turns a checked-out repository into a `ScannerOutput`: a report in the findings
importer's shape (`ParsedScan` of `ScanFinding`s, built with `scan_finding`), plus metrics for
the audit. Adding a scanner
(semgrep, pip-audit, gitleaks, ...) is one module with one subclass, listed in `scanners/__init__.py`.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings

from findings.importers import ParsedScan, ScanFinding
from findings.models import Severity
from rescans.runner import STDERR_TAIL_CHARS, CommandResult, ResourceLimits, run_command, safe_env
from rescans.sanitize import clean_data, clean_text, clean_url

MAX_SOURCE_BYTES = 2_000_000
DEFAULT_MEMORY_BYTES = 2 * 1024**3
DEFAULT_CPU_SECONDS = 900
DEFAULT_FILE_BYTES = 100 * 1024 * 1024
BESIDE_NICENESS = 2
# The frames of a Python traceback in an analyzer's stderr: its last line (the error) is kept,
# the frames (the analyzer's own files and code) say nothing useful to a reader of the audit.
TRACEBACK_FRAMES_RE = re.compile(r"Traceback \(most recent call last\):\n(?:(?:[ \t].*)?\n)*")


class ScannerError(Exception):
    """The scanner failed: its output is missing, unreadable, or it ran out of time or space.

    Its message and stderr excerpt are stored on the audit, so both are sanitised here."""

    def __init__(
        self,
        message: str,
        *,
        stderr_tail: str = "",
        timed_out: bool = False,
        workspace: Path | None = None,
    ):
        super().__init__(clean_text(message, limit=1000, workspace=workspace))
        tail = TRACEBACK_FRAMES_RE.sub("", stderr_tail or "")
        self.stderr_tail = clean_text(tail, limit=STDERR_TAIL_CHARS, workspace=workspace)
        self.timed_out = timed_out


# The findings importer's severities, by the words analyzers use.
SEVERITY_VALUES = {
    "info": int(Severity.INFO),
    "low": int(Severity.LOW),
    "medium": int(Severity.MEDIUM),
    "high": int(Severity.HIGH),
    "critical": int(Severity.CRITICAL),
}
# Key of the identity a finding keeps whatever its code line (a secret's hash, a function).
STABLE_ID_KEY = "auditorStableId/v1"
CWE_RE = re.compile(r"cwe[-/_ ]?0*(\d+)", re.IGNORECASE)


def scan_finding(
    *,
    tool: str,
    domain: str,
    rule_id: str,
    title: str,
    severity: str,
    file_path: str = "",
    line: int | None = None,
    description: str = "",
    confidence: str = "",
    cwe: str = "",
    help_url: str = "",
    stable_id: str = "",
    snippet: str = "",
) -> ScanFinding:
    """One finding of an analyzer in the findings importer's shape, everything in it cleaned
    where it enters auditor (see rescans.sanitize).

    `domain` is a MaturityDomain slug. `stable_id`: an identity that does not depend on the code
    line (secret hash, repository-level check); without it, `snippet` (the offending source line)
    identifies the finding. The stored title is "<rule>: <first line of `title`>"; only security
    findings are critical (elsewhere critical is stored as high)."""
    if severity not in SEVERITY_VALUES:
        raise ValueError(f"unknown severity {severity!r}")
    rule_id = clean_text(rule_id, limit=200)
    message = clean_text(title, limit=500).strip()
    first_line = message.splitlines()[0] if message else rule_id
    domain = clean_text(domain, limit=100)
    value = SEVERITY_VALUES[severity]
    if domain != "security":
        value = min(value, int(Severity.HIGH))
    if line is not None and (not isinstance(line, int) or not 0 < line < 2**31):
        line = None
    cwe_match = CWE_RE.search(clean_text(cwe, limit=20))
    stable_id = clean_text(stable_id, limit=500)
    return ScanFinding(
        tool=clean_text(tool, limit=100).lower(),
        rule_id=rule_id,
        title=(f"{rule_id}: {first_line}" if rule_id else first_line)[:500],
        severity=value,
        domain_slug=domain,
        file_path=clean_text(file_path, limit=1000),
        line=line,
        snippet="" if stable_id or not line else snippet,
        description=clean_text(description) or message,
        confidence=clean_text(confidence, limit=20).strip().lower()[:20],
        cwe=f"CWE-{int(cwe_match.group(1))}" if cwe_match else "",
        recommendation=clean_url(help_url),
        tool_fingerprint=f"{STABLE_ID_KEY}={stable_id}" if stable_id else "",
    )


@dataclass
class ScannerOutput:
    """What a scanner found, in the findings importer's shape (`report`), and its metrics."""

    scanner: str
    tool: str
    report: ParsedScan | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    # Reports the repository holds (CI artifacts), read as the files they are: (path, report).
    files: list[tuple[str, ParsedScan]] = field(default_factory=list)
    # The analyzer's own report when `report` was read from it by the findings importer's reader
    # for its format (bandit JSON), cleaned.
    source: bytes = b""
    duration_s: float = 0.0
    # Results the repository's team silenced in the code: counted and shown, never imported.
    suppressed: int = 0

    def __post_init__(self) -> None:
        self.metrics = clean_data(self.metrics, limit=2000)

    @property
    def findings(self) -> list[ScanFinding]:
        return self.report.findings if self.report is not None else []


def _setting(name: str, default: int) -> int | None:
    """A limit from settings: a positive number, or 0 / None meaning "not limited"."""
    value = getattr(settings, name, default)
    return int(value) if value else None


@dataclass
class RunLimits:
    timeout_s: float = 600.0
    max_output_bytes: int = 50 * 1024 * 1024
    # System limits of each scanner process, from settings unless given.
    memory_bytes: int | None = field(
        default_factory=lambda: _setting("SCAN_MAX_MEMORY_BYTES", DEFAULT_MEMORY_BYTES)
    )
    cpu_seconds: int | None = field(
        default_factory=lambda: _setting("SCAN_MAX_CPU_SECONDS", DEFAULT_CPU_SECONDS)
    )
    file_bytes: int | None = field(
        default_factory=lambda: _setting("SCAN_MAX_FILE_BYTES", DEFAULT_FILE_BYTES)
    )

    @property
    def system(self) -> ResourceLimits:
        return ResourceLimits(self.memory_bytes, self.cpu_seconds, self.file_bytes)


class Scanner:
    name: ClassVar[str]
    tool: ClassVar[str]  # the `tool` of the findings it produces
    domain: ClassVar[str]  # MaturityDomain slug its findings count against
    ok_returncodes: ClassVar[tuple[int, ...]] = (0,)
    # CPU priority of its processes, added to the worker's nice value. The analyzers beside the
    # longest one (Semgrep, 0) yield the CPU to it, so a re-scan lasts about as long as it does;
    # mildly, so that on a busy machine they are not starved either.
    niceness: ClassVar[int] = BESIDE_NICENESS

    # auditor's own configuration files for the tool, written outside the checkout before it
    # runs (into `config_dir`); the repository's own configuration is never used.
    config_files: ClassVar[dict[str, str]] = {}
    config_dir: Path | None = None
    # When a list: the raw stdout of each of its commands is kept there (incremental re-scans
    # store it per file and re-parse it, rescans/incremental.py).
    raw_outputs: list[bytes] | None = None

    def command(self, workspace: Path) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:  # pragma: no cover - interface
        raise NotImplementedError

    def finding(
        self, *, workspace: Path, lines: dict[str, list[str]], domain: str = "", **fields: Any
    ) -> ScanFinding:
        """`scan_finding` of this scanner's tool and domain; the snippet is read from the checkout."""
        snippet = source_line(workspace, fields.get("file_path", ""), fields.get("line"), lines)
        return scan_finding(tool=self.tool, domain=domain or self.domain, snippet=snippet, **fields)

    def report(self, findings: list[ScanFinding]) -> ParsedScan:
        """The report of everything this scanner ran on: its tool's findings missing here are fixed."""
        tool = self.tool.lower()
        return ParsedScan(format="sarif", tool=tool, findings=findings, tools={tool})

    def write_config(self, home: str | Path | None = None) -> Path:
        """Write `config_files` to a fresh folder (in the scan's throw-away HOME) and remember it."""
        self.config_dir = Path(tempfile.mkdtemp(prefix=f"{self.name}-config-", dir=home))
        for name, text in self.config_files.items():
            (self.config_dir / name).write_text(text)
        return self.config_dir

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        self.write_config(home)
        result = run_command(
            self.command(workspace),
            cwd=workspace,
            timeout_s=limits.timeout_s,
            max_output_bytes=limits.max_output_bytes,
            env=safe_env(home),
            limits=dataclasses.replace(limits.system, niceness=self.niceness),
        )
        self.check(result, limits, workspace)
        self.keep_raw(result)
        try:
            output = self.parse(result.stdout, workspace)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise ScannerError(
                f"{self.name}: could not read its output ({exc})",
                stderr_tail=result.stderr_tail,
                workspace=workspace,
            ) from exc
        output.duration_s = result.duration_s
        return output

    def keep_raw(self, result: CommandResult) -> None:
        if self.raw_outputs is not None:
            self.raw_outputs.append(result.stdout)

    def check(self, result: CommandResult, limits: RunLimits, workspace: Path | None = None) -> None:
        tail = result.stderr_tail
        if result.timed_out:
            raise ScannerError(
                f"{self.name}: timed out after {limits.timeout_s:g} s",
                stderr_tail=tail,
                timed_out=True,
                workspace=workspace,
            )
        if result.output_too_large:
            raise ScannerError(
                f"{self.name}: output larger than {limits.max_output_bytes} bytes",
                stderr_tail=tail,
                workspace=workspace,
            )
        if result.limit_hit:
            raise ScannerError(
                f"{self.name}: stopped by its {result.limit_hit} limit "
                "(SCAN_MAX_MEMORY_BYTES, SCAN_MAX_CPU_SECONDS, SCAN_MAX_FILE_BYTES)",
                stderr_tail=tail,
                workspace=workspace,
            )
        if result.returncode is not None and result.returncode < 0 and limits.memory_bytes:
            # A native program refused memory often just crashes (SIGSEGV, SIGABRT) in silence.
            raise ScannerError(
                f"{self.name}: killed by signal {-result.returncode} (possibly its memory limit, "
                "SCAN_MAX_MEMORY_BYTES)",
                stderr_tail=tail,
                workspace=workspace,
            )
        if result.returncode not in self.ok_returncodes:
            raise ScannerError(
                f"{self.name}: exited with code {result.returncode}", stderr_tail=tail, workspace=workspace
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


def source_line(workspace: Path, rel_path: str, line: int | None, cache: dict[str, list[str]]) -> str:
    """Line `line` (1-based) of a checked-out file, or "" when it cannot be read safely (outside
    the checkout, a link, too big). Used to see the team's suppression comments."""
    if not rel_path or not line:
        return ""
    if rel_path not in cache:
        cache[rel_path] = []
        path = workspace / rel_path
        try:
            if (
                not path.is_symlink()
                and path.resolve().is_relative_to(workspace.resolve())
                and path.stat().st_size <= MAX_SOURCE_BYTES
            ):
                cache[rel_path] = path.read_text("utf-8", "replace").splitlines()
        except (OSError, ValueError):
            pass
    lines = cache[rel_path]
    return lines[line - 1] if 0 < line <= len(lines) else ""
