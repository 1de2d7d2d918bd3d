"""The one interface every scanner implements: name, command, parser, domain.

A scanner turns a checked-out repository into a `ScannerOutput`: a list of normalised
findings (what the findings importer receives), plus metrics for the audit. Adding a scanner
(semgrep, pip-audit, gitleaks, ...) is one module with one subclass, listed in `scanners/__init__.py`.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.conf import settings

from rescans.runner import STDERR_TAIL_CHARS, CommandResult, ResourceLimits, run_command, safe_env
from rescans.sanitize import clean_data, clean_text, clean_url

SEVERITIES = ("info", "low", "medium", "high", "critical")
MAX_SOURCE_BYTES = 2_000_000
DEFAULT_MEMORY_BYTES = 2 * 1024**3
DEFAULT_CPU_SECONDS = 900
DEFAULT_FILE_BYTES = 100 * 1024 * 1024
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
    # The repository's team silenced it with a comment in the code (nosec, noqa, allowlist).
    suppressed: bool = False

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        # Whatever an analyzer says is cleaned where it enters auditor (see rescans.sanitize).
        self.rule_id = clean_text(self.rule_id, limit=200)
        self.title = clean_text(self.title, limit=500)
        self.file_path = clean_text(self.file_path, limit=1000)
        self.description = clean_text(self.description)
        self.confidence = clean_text(self.confidence, limit=20)
        self.cwe = clean_text(self.cwe, limit=20)
        self.help_url = clean_url(self.help_url)
        self.domain = clean_text(self.domain, limit=100)
        self.stable_id = clean_text(self.stable_id, limit=500)
        if self.line is not None and (not isinstance(self.line, int) or not 0 < self.line < 2**31):
            self.line = None


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
    # Results the repository's team silenced in the code: counted and shown, never imported.
    suppressed: int = 0

    def __post_init__(self) -> None:
        self.metrics = clean_data(self.metrics, limit=2000)
        self.raw = clean_raw(self.raw)


def clean_raw(raw: bytes) -> bytes:
    """A scanner's JSON report with every string in it cleaned (it may be imported as is)."""
    if not raw:
        return raw
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return clean_text(raw, limit=0).encode()
    return json.dumps(clean_data(data, limit=0)).encode()


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
    raw_format: ClassVar[str] = ""  # the findings importer's format name for `raw`
    ok_returncodes: ClassVar[tuple[int, ...]] = (0,)

    # auditor's own configuration files for the tool, written outside the checkout before it
    # runs (into `config_dir`); the repository's own configuration is never used.
    config_files: ClassVar[dict[str, str]] = {}
    config_dir: Path | None = None

    def command(self, workspace: Path) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:  # pragma: no cover - interface
        raise NotImplementedError

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
            limits=limits.system,
        )
        self.check(result, limits, workspace)
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
