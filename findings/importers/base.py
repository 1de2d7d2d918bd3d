"""What every parser returns, and the one error type they raise on bad input."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

# Counts and line numbers are stored in PostgreSQL integer columns.
MAX_INT = 2**31 - 1
# Durations beyond a century are a broken report, and JSON columns cannot hold Infinity.
MAX_SECONDS = 100 * 365 * 24 * 3600.0
# Text the database or a spreadsheet cannot hold: NUL and the other C0 controls (tab, line feed
# and carriage return aside), and UTF-16 surrogates that JSON escapes can produce alone.
UNSAFE_TEXT_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# JSON escapes that can decode to such text: only when one occurs is every string checked.
_UNSAFE_ESCAPE_RE = re.compile(r"\\u(?:00[01][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2})")


class ScanFormatError(ValueError):
    """Bad input: the message names the file, what is wrong and where when known."""

    def __init__(self, message: str, *, file_name: str = "", where: str = ""):
        self.problem = message
        self.file_name = file_name
        self.where = where
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.file_name:
            parts.append(f"{self.file_name}:")
        if self.where:
            parts.append(f"{self.where}:")
        parts.append(self.problem)
        return " ".join(parts)

    def with_file(self, file_name: str) -> ScanFormatError:
        if not self.file_name:
            self.file_name = file_name
            self.args = (self._render(),)
        return self


@dataclass(slots=True)
class ScanFinding:
    """One result of a report, before de-duplication. `snippet` is the offending source line."""

    tool: str
    rule_id: str
    title: str
    severity: int
    domain_slug: str
    file_path: str = ""
    line: int | None = None
    snippet: str = ""
    description: str = ""
    confidence: str = ""
    cwe: str = ""
    recommendation: str = ""
    # The tool's own stable identity (SARIF fingerprints / partialFingerprints), when given.
    tool_fingerprint: str = ""
    # Imported as accepted risk instead of open (SARIF suppression with status "accepted").
    suppressed: bool = False
    fingerprint: str = ""


@dataclass(slots=True)
class ParsedScan:
    format: str
    tool: str
    findings: list[ScanFinding] = field(default_factory=list)
    # Tools whose complete result set this report is: their findings missing here get resolved.
    tools: set[str] = field(default_factory=set)
    # Audit metric columns (see projects.models.Audit) and anything else under "extra".
    metrics: dict[str, Any] = field(default_factory=dict)


def clean_text(value: str) -> str:
    """`value` without control characters; a lone surrogate becomes U+FFFD."""
    if not UNSAFE_TEXT_RE.search(value):
        return value
    return UNSAFE_TEXT_RE.sub(lambda m: "" if m.group() < "\ud800" else "\ufffd", value)


def may_hold_unsafe_text(json_text: str) -> bool:
    return _UNSAFE_ESCAPE_RE.search(json_text) is not None


_FINDING_TEXT = (
    "tool",
    "rule_id",
    "title",
    "file_path",
    "snippet",
    "description",
    "confidence",
    "cwe",
    "recommendation",
    "tool_fingerprint",
)


def clean_report(report: ParsedScan) -> None:
    """Every string of the report made storable and exportable, in place."""
    report.tool = clean_text(report.tool)
    report.tools = {clean_text(tool) for tool in report.tools}
    for finding in report.findings:
        clean_finding(finding)


def clean_finding(finding: ScanFinding) -> None:
    for name in _FINDING_TEXT:
        value = getattr(finding, name)
        if UNSAFE_TEXT_RE.search(value):
            setattr(finding, name, clean_text(value))


def decode_utf8(content: bytes) -> str:
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        # Windows tools (PowerShell redirection) write UTF-16 with a byte order mark.
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ScanFormatError(
                f"the file starts like UTF-16 text but is not valid UTF-16 (at offset {exc.start}); "
                "save the report as UTF-8"
            ) from None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScanFormatError(
            f"the file is not UTF-8 text (invalid byte 0x{content[exc.start]:02x} at offset "
            f"{exc.start}); save the report as UTF-8"
        ) from None


def _refuse_constant(name: str) -> None:
    raise ScanFormatError(f"invalid JSON: {name} is not a number JSON allows (Python writes it for NaN/inf)")


def load_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ScanFormatError(
            f"invalid JSON: {exc.msg}", where=f"line {exc.lineno}, column {exc.colno}"
        ) from None
    except ValueError as exc:
        if isinstance(exc, ScanFormatError):
            raise
        # Python refuses to convert integers of more than 4300 digits (CVE-2020-10735).
        raise ScanFormatError(f"invalid JSON: a number is too long ({str(exc).split(':')[0]})") from None
    except RecursionError:
        raise ScanFormatError("invalid JSON: nesting too deep") from None


def load_xml(content: bytes):
    """Parse XML refusing DTDs, external entities and entity expansion (defusedxml)."""
    try:
        return SafeET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ScanFormatError(
            f"XML with a DTD or entities is refused ({type(exc).__name__}); scanner reports never need them"
        ) from None
    except SafeET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = f"line {line}, column {column}" if line else ""
        msg = str(exc).split(":")[0]
        raise ScanFormatError(f"invalid XML: {msg}", where=where) from None
    except LookupError as exc:  # the XML declaration names an encoding Python does not know
        encoding = str(exc).rpartition(":")[2].strip()
        raise ScanFormatError(
            f"invalid XML: the declared encoding {encoding[:40]!r} is unknown; scanner reports are UTF-8"
        ) from None


def expect(condition: bool, message: str, where: str = "") -> None:
    if not condition:
        raise ScanFormatError(message, where=where)


def _shown(value: Any) -> str:
    """A short, printable quote of a bad value (it may be huge or hold control characters)."""
    text = value if isinstance(value, str) else type(value).__name__
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float):
            text = f"{value:.6g}"
        else:
            text = "a huge integer" if abs(value) > MAX_INT else str(value)
    return repr(clean_text(text[:40]) + ("…" if len(text) > 40 else ""))


def as_int(value: Any, where: str, *, default: int | None = None, maximum: int = MAX_INT) -> int | None:
    """A whole number in 0..maximum (a PostgreSQL integer by default), else ScanFormatError."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ScanFormatError(f"expected a number, got {value!r}", where=where)
    try:
        number = value if isinstance(value, int) else float(value)
    except (TypeError, ValueError, OverflowError):
        raise ScanFormatError(f"expected a number, got {_shown(value)}", where=where) from None
    if number != number:
        raise ScanFormatError(f"expected a finite number, got {_shown(value)}", where=where)
    if number in (float("inf"), float("-inf")):
        raise ScanFormatError(f"number {_shown(value)} is out of range (at most {maximum:,})", where=where)
    number = int(number)
    if number < 0:
        raise ScanFormatError(f"expected a non-negative number, got {_shown(number)}", where=where)
    if number > maximum:
        raise ScanFormatError(f"number {_shown(number)} is out of range (at most {maximum:,})", where=where)
    return number


def as_float(
    value: Any, where: str, *, default: float | None = None, maximum: float | None = None
) -> float | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ScanFormatError(f"expected a number, got {value!r}", where=where)
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ScanFormatError(f"expected a number, got {_shown(value)}", where=where) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ScanFormatError(f"expected a finite number, got {_shown(value)}", where=where)
    if maximum is not None and abs(number) > maximum:
        raise ScanFormatError(
            f"number {_shown(number)} is out of range (at most {maximum:,.0f})", where=where
        )
    return number


def as_str(value: Any, where: str, *, default: str = "") -> str:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ScanFormatError(f"expected text, got {type(value).__name__}", where=where)
