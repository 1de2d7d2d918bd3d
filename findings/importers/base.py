"""What every parser returns, and the one error type they raise on bad input."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException


class ReportError(ValueError):
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

    def with_file(self, file_name: str) -> ReportError:
        if not self.file_name:
            self.file_name = file_name
            self.args = (self._render(),)
        return self


@dataclass(slots=True)
class ParsedFinding:
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
class ParsedReport:
    format: str
    tool: str
    findings: list[ParsedFinding] = field(default_factory=list)
    # Tools whose complete result set this report is: their findings missing here get resolved.
    tools: set[str] = field(default_factory=set)
    # Audit metric columns (see projects.models.Audit) and anything else under "extra".
    metrics: dict[str, Any] = field(default_factory=dict)


def decode_utf8(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"the file is not UTF-8 text (invalid byte 0x{content[exc.start]:02x} at offset "
            f"{exc.start}); save the report as UTF-8"
        ) from None


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"invalid JSON: {exc.msg}", where=f"line {exc.lineno}, column {exc.colno}"
        ) from None
    except RecursionError:
        raise ReportError("invalid JSON: nesting too deep") from None


def load_xml(content: bytes):
    """Parse XML refusing DTDs, external entities and entity expansion (defusedxml)."""
    try:
        return SafeET.fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ReportError(
            f"XML with a DTD or entities is refused ({type(exc).__name__}); scanner reports never need them"
        ) from None
    except SafeET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        where = f"line {line}, column {column}" if line else ""
        msg = str(exc).split(":")[0]
        raise ReportError(f"invalid XML: {msg}", where=where) from None


def expect(condition: bool, message: str, where: str = "") -> None:
    if not condition:
        raise ReportError(message, where=where)


def as_int(value: Any, where: str, *, default: int | None = None) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = int(float(value))
    except (TypeError, ValueError, OverflowError):
        raise ReportError(f"expected a number, got {str(value)[:40]!r}", where=where) from None
    if number < 0:
        raise ReportError(f"expected a non-negative number, got {number}", where=where)
    return number


def as_float(value: Any, where: str, *, default: float | None = None) -> float | None:
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ReportError(f"expected a number, got {str(value)[:40]!r}", where=where) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ReportError(f"expected a finite number, got {value!r}", where=where)
    return number


def as_str(value: Any, where: str, *, default: str = "") -> str:
    if value is None:
        return default
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise ReportError(f"expected text, got {type(value).__name__}", where=where)
