"""What a finished re-scan writes: the findings of every scanner (through the findings
importer), the audit's metrics, the measurements scoring reads, the domains not measured and the
summary line."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.db.models import Count

from findings.importers import ParsedScan, parse_scan
from findings.importers.base import ScanFormatError
from findings.models import Finding, Severity
from findings.services.scans import scan_import_report
from projects.models import Audit, Project
from rescans import workspace
from rescans.execution import ScanResult, stored_text
from rescans.scanners import Scanner, ScannerOutput
from rescans.scanners.coverage import analyzer_run
from scoring import measurements


def results_import(*, audit: Audit, scanners: list[Scanner], result: ScanResult, path: Path) -> None:
    """Import what every scanner that ran produced, store the audit's metrics and hand the
    measurements to scoring. Runs inside the caller's transaction; a report the importer refuses
    fails its part."""
    project = audit.project
    for output in result.outputs:
        try:
            for file_name, report, sha256 in scanner_reports(output, path):
                scan_import_report(
                    project=project,
                    report=report,
                    file_name=file_name,
                    sha256=sha256,
                    audit=audit,
                    internal=True,
                )
        except ScanFormatError as exc:
            result.parts[output.scanner].update(status="failed", error=stored_text(f"import: {exc}"))
            continue
    _store_metrics(audit, result)
    _record_measurements(audit, scanners, result)


def scanner_reports(output: ScannerOutput, path: Path) -> list[tuple[str, ParsedScan, str]]:
    """(file name, report, SHA-256 of the file or "") of what one scanner produced: the findings
    it built, handed over as they are; the analyzer's own report when the importer reads its
    format (bandit's JSON); the CI artifacts as the files they are. A file the importer refuses
    raises ScanFormatError, naming it."""
    reports: list[tuple[str, ParsedScan, str]] = []
    if output.source:
        name = f"{output.scanner}.json"
        fmt = output.report.format if output.report else "auto"
        reports.append((name, parse_scan(output.source, file_name=name, format=fmt), _sha256(output.source)))
    elif output.report is not None:
        reports.append((output.scanner, output.report, ""))
    for file_name, report in output.files:
        try:
            content = (path / file_name).read_bytes()
        except OSError:
            continue
        reports.append(
            (file_name, parse_scan(content, file_name=file_name, format=report.format), _sha256(content))
        )
    return reports


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _record_measurements(audit: Audit, scanners: list[Scanner], result: ScanResult) -> None:
    """Hand the repository profile and what each analyzer covered to the formula, and show the
    coverage with each part of the run."""
    if result.inventory is None:
        return
    outputs = {o.scanner: o for o in result.outputs}
    runs = [
        analyzer_run(s, result.parts[s.name], outputs.get(s.name), result.inventory)
        for s in scanners
        if s.name in result.parts
    ]
    for record in runs:
        result.parts[record.name].update(
            coverage=record.status, languages=list(record.languages), covered_lines=record.covered_lines
        )
    measurements.audit_record_measurements(audit_id=audit.pk, profile=result.inventory.profile, runs=runs)
    # What the pages show beyond the profile: file counts, README size, CI files running tests...
    audit.extra_metrics = {**(audit.extra_metrics or {}), "repository": result.inventory.details}


def _store_metrics(audit: Audit, result: ScanResult) -> None:
    outputs = {o.scanner: o for o in result.outputs}
    extra = dict(audit.extra_metrics or {})
    if "checks" in outputs:
        m = outputs["checks"].metrics
        audit.files_count = m["files_count"]
        audit.lines_of_code = m["lines_of_code"]
        extra.update(languages=m["languages"], todo_count=m["todo_count"], presence=m["presence"])
    if "ruff" in outputs:
        audit.warnings_count = len(outputs["ruff"].findings)
    if "detect-secrets" in outputs:
        extra["secrets_found"] = len(outputs["detect-secrets"].findings)
    if "secrets" in outputs:
        extra["secrets_found"] = outputs["secrets"].metrics.get("secrets_found", 0)
    security_parts = [n for n, p in result.parts.items() if p["domain"] == "security"]
    if security_parts and all(result.parts[n]["status"] == "ok" for n in security_parts):
        counts = dict(
            Finding.objects.filter(
                project=audit.project_id,
                domain__slug="security",
                status__in=Finding.ACTIVE_STATUSES,
            )
            .values_list("severity")
            .annotate(n=Count("id"))
            .values_list("severity", "n")
        )
        audit.security_critical = counts.get(Severity.CRITICAL, 0)
        audit.security_high = counts.get(Severity.HIGH, 0)
        audit.security_medium = counts.get(Severity.MEDIUM, 0)
        audit.security_low = counts.get(Severity.LOW, 0)
    audit.extra_metrics = extra


def not_measured(parts: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Domains none of whose scanners succeeded: {domain slug: why}."""
    by_domain: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, part in parts.items():
        by_domain.setdefault(part["domain"], []).append((name, part))
    return {
        domain: "; ".join(f"{name} {part['status']}" for name, part in items)
        for domain, items in by_domain.items()
        if all(part["status"] != "ok" for _name, part in items)
    }


def summary_line(project: Project, result: ScanResult) -> str:
    ok = [n for n, p in result.parts.items() if p["status"] == "ok"]
    failed = [n for n, p in result.parts.items() if p["status"] != "ok"]
    text = f"Automated re-scan of {project.repository_url and workspace.redact(project.repository_url)}"
    text += f": {', '.join(ok) or 'no scanner'} ran"
    if failed:
        text += f"; {', '.join(failed)} could not run (not measured)"
    text += "."
    suppressed = {o.scanner: o.suppressed for o in result.outputs if o.suppressed}
    if suppressed:
        counts = ", ".join(f"{name} {n}" for name, n in suppressed.items())
        text += f" Suppressed by the team in the code, not imported: {counts}."
    if result.links_note:
        text += f" {result.links_note}"
    return text
