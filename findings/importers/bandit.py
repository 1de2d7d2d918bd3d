"""Bandit JSON (`bandit -f json`): one finding per result, Security domain, run metrics."""

from __future__ import annotations

from typing import Any

from findings.importers.base import ParsedFinding, ParsedReport, as_int, as_str, expect
from findings.models import Severity

SEVERITIES = {"HIGH": Severity.HIGH, "MEDIUM": Severity.MEDIUM, "LOW": Severity.LOW,
              "UNDEFINED": Severity.INFO}
TOOL = "bandit"


def looks_like(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get("results"), list) and (
        "metrics" in doc or "generated_at" in doc
    )


def _source_line(code: str, line: int | None) -> str:
    """Bandit's `code` is numbered context ("12 x = 1\\n13 ..."): keep the reported line's text."""
    first = ""
    for raw in code.splitlines():
        number, _, text = raw.partition(" ")
        if not first and text.strip():
            first = text
        if line is not None and number.isdigit() and int(number) == line:
            return text
    return first


def parse(doc: Any) -> ParsedReport:
    expect(looks_like(doc), "not a Bandit JSON report (no \"results\" list with \"metrics\")")
    report = ParsedReport(format="bandit", tool=TOOL, tools={TOOL})
    for index, result in enumerate(doc["results"]):
        where = f"results[{index}]"
        expect(isinstance(result, dict), "expected an object", where)
        test_id = as_str(result.get("test_id"), f"{where}.test_id")
        file_path = as_str(result.get("filename"), f"{where}.filename")
        expect(bool(test_id), "result has no test_id", where)
        expect(bool(file_path), f"result {test_id} has no filename (no location)", where)
        line = as_int(result.get("line_number"), f"{where}.line_number")
        severity_name = as_str(result.get("issue_severity"), f"{where}.issue_severity").upper()
        expect(severity_name in SEVERITIES,
               f"unknown issue_severity {severity_name!r} (expected HIGH, MEDIUM or LOW)", where)
        cwe = result.get("issue_cwe")
        cwe_id = ""
        if isinstance(cwe, dict) and cwe.get("id"):
            cwe_id = f"CWE-{as_int(cwe.get('id'), f'{where}.issue_cwe.id')}"
        title = as_str(result.get("issue_text"), f"{where}.issue_text") or test_id
        test_name = as_str(result.get("test_name"), f"{where}.test_name")
        more_info = as_str(result.get("more_info"), f"{where}.more_info")
        report.findings.append(ParsedFinding(
            tool=TOOL,
            rule_id=test_id,
            title=f"{test_id} {test_name}: {title}" if test_name else f"{test_id}: {title}",
            severity=SEVERITIES[severity_name],
            confidence=as_str(result.get("issue_confidence"), f"{where}.issue_confidence").lower(),
            domain_slug="security",
            file_path=file_path,
            line=line,
            snippet=_source_line(as_str(result.get("code"), f"{where}.code"), line),
            description=title,
            cwe=cwe_id,
            recommendation=f"See {more_info}" if more_info else "",
        ))
    metrics = doc.get("metrics")
    totals = metrics.get("_totals") if isinstance(metrics, dict) else None
    if isinstance(totals, dict):
        report.metrics = {
            "lines_of_code": as_int(totals.get("loc"), "metrics._totals.loc"),
            "security_high": as_int(totals.get("SEVERITY.HIGH"), "metrics._totals.SEVERITY.HIGH"),
            "security_medium": as_int(totals.get("SEVERITY.MEDIUM"),
                                      "metrics._totals.SEVERITY.MEDIUM"),
            "security_low": as_int(totals.get("SEVERITY.LOW"), "metrics._totals.SEVERITY.LOW"),
            "files_count": sum(1 for name in metrics if name != "_totals"),
        }
        report.metrics = {k: v for k, v in report.metrics.items() if v is not None}
    return report
