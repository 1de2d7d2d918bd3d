"""Scanner report parsers. `parse_report` turns bytes into a ParsedReport or raises ReportError."""

from __future__ import annotations

from findings.importers import bandit, cobertura, junit, sarif
from findings.importers.base import (
    ParsedFinding,
    ParsedReport,
    ReportError,
    clean_report,
    decode_utf8,
    load_json,
    load_xml,
    may_hold_unsafe_text,
)

FORMATS = ("bandit", "sarif", "cobertura", "junit")
FORMAT_CHOICES = [
    ("auto", "Detect from content"),
    ("bandit", "Bandit JSON"),
    ("sarif", "SARIF 2.1.0"),
    ("cobertura", "Cobertura XML (coverage)"),
    ("junit", "JUnit XML (tests)"),
]
_JSON_FORMATS = {"bandit": bandit, "sarif": sarif}
_XML_FORMATS = {"cobertura": cobertura, "junit": junit}

__all__ = ["FORMATS", "FORMAT_CHOICES", "ParsedFinding", "ParsedReport", "ReportError", "parse_report"]


def parse_report(content: bytes, *, file_name: str = "", format: str = "auto") -> ParsedReport:
    """Parse a report; `format` "auto" detects it from the content. Raises ReportError only."""
    try:
        return _parse(content, format)
    except ReportError as exc:
        raise exc.with_file(file_name) from None
    except RecursionError:
        raise ReportError("the document is nested too deeply", file_name=file_name) from None


def _parse(content: bytes, format: str) -> ParsedReport:
    if format != "auto" and format not in FORMATS:
        raise ReportError(f"unknown format {format!r} (expected auto, {', '.join(FORMATS)})")
    if not content or not content.strip():
        raise ReportError("the file is empty")
    text = decode_utf8(content)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        if format in _XML_FORMATS:
            raise ReportError(f"expected {format} XML, but the file is JSON")
        doc = load_json(text)
        if format == "auto":
            format = next((name for name, module in _JSON_FORMATS.items() if module.looks_like(doc)), "")
            if not format:
                raise ReportError(
                    'JSON that is neither a Bandit report ("results" and '
                    '"metrics") nor a SARIF log ("version" and "runs")'
                )
        report = _JSON_FORMATS[format].parse(doc)
        if may_hold_unsafe_text(text):
            clean_report(report)
        return report
    if head == "<":
        if format in _JSON_FORMATS:
            raise ReportError(f"expected {format} JSON, but the file is XML")
        # XML 1.0 itself forbids NUL, control characters and surrogates, even as references.
        root = load_xml(content)
        if format == "auto":
            format = next((name for name, module in _XML_FORMATS.items() if module.looks_like(root)), "")
            if not format:
                raise ReportError(
                    f"XML root element <{root.tag}> is neither Cobertura "
                    "(<coverage>) nor JUnit (<testsuites> or <testsuite>)"
                )
        return _XML_FORMATS[format].parse(root)
    raise ReportError(
        "not a JSON or XML document (supported: Bandit JSON, SARIF 2.1.0, Cobertura XML, JUnit XML)"
    )
