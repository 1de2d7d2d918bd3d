"""Scanner report parsers. `parse_scan` turns bytes into a ParsedScan or raises ScanFormatError."""

from __future__ import annotations

from findings.importers import bandit, cobertura, junit, sarif
from findings.importers.base import (
    ParsedScan,
    ScanFinding,
    ScanFormatError,
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

__all__ = ["FORMATS", "FORMAT_CHOICES", "ScanFinding", "ParsedScan", "ScanFormatError", "parse_scan"]


def parse_scan(content: bytes, *, file_name: str = "", format: str = "auto") -> ParsedScan:
    """Parse a report; `format` "auto" detects it from the content. Raises ScanFormatError only."""
    try:
        return _parse(content, format)
    except ScanFormatError as exc:
        raise exc.with_file(file_name) from None
    except RecursionError:
        raise ScanFormatError("the document is nested too deeply", file_name=file_name) from None


def _parse(content: bytes, format: str) -> ParsedScan:
    if format != "auto" and format not in FORMATS:
        raise ScanFormatError(f"unknown format {format!r} (expected auto, {', '.join(FORMATS)})")
    if not content or not content.strip():
        raise ScanFormatError("the file is empty")
    text = decode_utf8(content)
    head = text.lstrip()[:1]
    if head in ("{", "["):
        if format in _XML_FORMATS:
            raise ScanFormatError(f"expected {format} XML, but the file is JSON")
        doc = load_json(text)
        if format == "auto":
            format = next((name for name, module in _JSON_FORMATS.items() if module.looks_like(doc)), "")
            if not format:
                raise ScanFormatError(
                    'JSON that is neither a Bandit report ("results" and '
                    '"metrics") nor a SARIF log ("version" and "runs")'
                )
        report = _JSON_FORMATS[format].parse(doc)
        if may_hold_unsafe_text(text):
            clean_report(report)
        return report
    if head == "<":
        if format in _JSON_FORMATS:
            raise ScanFormatError(f"expected {format} JSON, but the file is XML")
        # XML 1.0 itself forbids NUL, control characters and surrogates, even as references.
        root = load_xml(content)
        if format == "auto":
            format = next((name for name, module in _XML_FORMATS.items() if module.looks_like(root)), "")
            if not format:
                raise ScanFormatError(
                    f"XML root element <{root.tag}> is neither Cobertura "
                    "(<coverage>) nor JUnit (<testsuites> or <testsuite>)"
                )
        return _XML_FORMATS[format].parse(root)
    raise ScanFormatError(
        "not a JSON or XML document (supported: Bandit JSON, SARIF 2.1.0, Cobertura XML, JUnit XML)"
    )
