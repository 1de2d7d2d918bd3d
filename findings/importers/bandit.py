"""Bandit JSON (`bandit -f json`): one finding per result, Security domain, run metrics."""

from __future__ import annotations

from typing import Any

from findings.importers.base import (
    MAX_INT,
    ParsedScan,
    ScanFinding,
    ScanFormatError,
    as_int,
    as_str,
    expect,
)
from findings.models import Severity

SEVERITIES = {
    "HIGH": int(Severity.HIGH),
    "MEDIUM": int(Severity.MEDIUM),
    "LOW": int(Severity.LOW),
    "UNDEFINED": int(Severity.INFO),
}
TOOL = "bandit"


def looks_like(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and isinstance(doc.get("results"), list)
        and ("metrics" in doc or "generated_at" in doc)
    )


def _source_line(code: str, line: int | None) -> str:
    """Bandit's `code` is numbered context ("12 x = 1\\n13 ..."): keep the reported line's text."""
    if line is not None:
        # The first line starting with "<line> ", found without splitting the context.
        prefix = f"{line} "
        if code.startswith(prefix):
            start = len(prefix)
        else:
            at = code.find(f"\n{prefix}")
            start = -1 if at < 0 else at + 1 + len(prefix)
        if start >= 0:
            end = code.find("\n", start)
            return code[start:] if end < 0 else code[start:end]
    for raw in code.split("\n"):
        _number, _, text = raw.partition(" ")
        if text.strip():
            return text
    return ""


def _text(result: dict, key: str, index: int) -> str:
    value = result.get(key)
    if value.__class__ is str:  # the common case, without building an error location
        return value
    return as_str(value, f"results[{index}].{key}")


def parse(doc: Any) -> ParsedScan:
    expect(looks_like(doc), 'not a Bandit JSON report (no "results" list with "metrics")')
    report = ParsedScan(format="bandit", tool=TOOL, tools={TOOL})
    append = report.findings.append
    for index, result in enumerate(doc["results"]):
        append(parse_result(result, index))
    report.metrics = parse_metrics(doc.get("metrics"))
    return report


def parse_result(result: Any, index: int) -> ScanFinding:
    """One entry of "results" (the index names it in error messages)."""
    if result.__class__ is not dict:
        return _checked_result(result, index)
    get = result.get
    test_id = get("test_id")
    file_path = get("filename")
    severity_text = get("issue_severity")
    issue_text = get("issue_text")
    test_name = get("test_name")
    more_info = get("more_info")
    confidence = get("issue_confidence")
    code = get("code")
    line = get("line_number")
    # The common case, checked at once: all text is text, a test and a file are named, the line
    # is a stored integer, the severity is known. Anything else is checked field by field in
    # _checked_result, which names the first bad one (a third of the parse time saved).
    if not (
        test_id.__class__ is str
        and file_path.__class__ is str
        and severity_text.__class__ is str
        and issue_text.__class__ is str
        and test_name.__class__ is str
        and more_info.__class__ is str
        and confidence.__class__ is str
        and code.__class__ is str
        and test_id
        and file_path
        and (line is None or (line.__class__ is int and 0 <= line <= MAX_INT))
        and (severity := SEVERITIES.get(severity_text.upper())) is not None
    ):
        return _checked_result(result, index)
    cwe = get("issue_cwe")
    cwe_id = ""
    if isinstance(cwe, dict) and (number := cwe.get("id")):
        if number.__class__ is not int or not 0 < number <= MAX_INT:
            number = as_int(number, f"results[{index}].issue_cwe.id")
        cwe_id = f"CWE-{number}"
    title = issue_text or test_id
    return ScanFinding(
        tool=TOOL,
        rule_id=test_id,
        title=f"{test_id} {test_name}: {title}" if test_name else f"{test_id}: {title}",
        severity=severity,
        confidence=confidence.lower(),
        domain_slug="security",
        file_path=file_path,
        line=line,
        snippet=_source_line(code, line),
        description=title,
        cwe=cwe_id,
        recommendation=f"See {more_info}" if more_info else "",
    )


def _checked_result(result: Any, index: int) -> ScanFinding:
    """parse_result with every field checked in turn, naming the first bad one."""
    if not isinstance(result, dict):
        raise ScanFormatError("expected an object", where=f"results[{index}]")
    test_id = _text(result, "test_id", index)
    file_path = _text(result, "filename", index)
    if not test_id or not file_path:
        expect(bool(test_id), "result has no test_id", f"results[{index}]")
        expect(False, f"result {test_id} has no filename (no location)", f"results[{index}]")
    line = result.get("line_number")
    if line.__class__ is not int or not 0 <= line <= MAX_INT:
        line = as_int(line, f"results[{index}].line_number")
    severity = SEVERITIES.get(_text(result, "issue_severity", index).upper())
    if severity is None:
        raise ScanFormatError(
            f"unknown issue_severity {result.get('issue_severity')!r} (expected HIGH, MEDIUM or LOW)",
            where=f"results[{index}]",
        )
    cwe = result.get("issue_cwe")
    cwe_id = ""
    if isinstance(cwe, dict) and cwe.get("id"):
        cwe_id = f"CWE-{as_int(cwe.get('id'), f'results[{index}].issue_cwe.id')}"
    title = _text(result, "issue_text", index) or test_id
    test_name = _text(result, "test_name", index)
    more_info = _text(result, "more_info", index)
    return ScanFinding(
        tool=TOOL,
        rule_id=test_id,
        title=f"{test_id} {test_name}: {title}" if test_name else f"{test_id}: {title}",
        severity=severity,
        confidence=_text(result, "issue_confidence", index).lower(),
        domain_slug="security",
        file_path=file_path,
        line=line,
        snippet=_source_line(_text(result, "code", index), line),
        description=title,
        cwe=cwe_id,
        recommendation=f"See {more_info}" if more_info else "",
    )


def parse_metrics(metrics: Any) -> dict[str, Any]:
    """The run metrics out of the report's "metrics" object ({} when it has none)."""
    totals = metrics.get("_totals") if isinstance(metrics, dict) else None
    if not isinstance(totals, dict):
        return {}
    found = {
        "lines_of_code": as_int(totals.get("loc"), "metrics._totals.loc"),
        "security_high": as_int(totals.get("SEVERITY.HIGH"), "metrics._totals.SEVERITY.HIGH"),
        "security_medium": as_int(totals.get("SEVERITY.MEDIUM"), "metrics._totals.SEVERITY.MEDIUM"),
        "security_low": as_int(totals.get("SEVERITY.LOW"), "metrics._totals.SEVERITY.LOW"),
        "files_count": sum(1 for name in metrics if name != "_totals"),
    }
    return {k: v for k, v in found.items() if v is not None}
