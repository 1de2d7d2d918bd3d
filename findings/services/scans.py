"""Scanner report import: every scanner file (upload, API, command, re-scan, background worker)
goes through `scan_import`, which decides what a report opens, reopens and resolves, and writes
it with a constant number of statements."""

from __future__ import annotations

import hashlib
import time
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from findings import hooks
from findings.fingerprints import assign_fingerprints
from findings.importers import ParsedScan, ScanFinding, ScanFormatError, parse_scan
from findings.importers.base import clean_text
from findings.models import ApiToken, Finding, ImportRun, Severity
from findings.services.scan_writes import ACCEPTED_RISK, ACTIVE, FIXED, ImportPlan, write_findings
from projects.events import announce_evidence_changed
from projects.models import AUDIT_METRIC_FIELDS, Audit, MaturityDomain, Project
from projects.uploads import upload_size_error

PREVIEW_ROWS = 20
# Tool names auditor writes itself: findings entered by hand, found in imported audit reports,
# the re-scanner's built-in checks and CI artifacts, and any name starting with "auditor". A
# report uploaded from outside may not name its runs so: resolution is scoped to the tools a
# report names, so such a run would mark auditor's own findings fixed.
RESERVED_TOOL_NAMES = frozenset({"manual", "report", "reports", "coverage", "junit", "checks", "artifacts"})
RESERVED_TOOL_PREFIX = "auditor"


def scan_import(
    *,
    project: Project,
    content: bytes,
    file_name: str,
    format: str = "auto",
    audit: Audit | None = None,
    user=None,
    token: ApiToken | None = None,
    dry_run: bool = False,
    internal: bool = False,
) -> ImportRun:
    """Import one scanner report into `project` (and `audit`'s metrics) in one transaction.

    Findings a report's tool no longer lists are resolved; only those of the tools the report
    names. `internal` is for auditor's own writers (the re-scanner) only: they may use the
    reserved tool names (RESERVED_TOOL_NAMES), which a file from outside may not.
    Raises ScanFormatError with a clear message on bad input; the database is then untouched.
    On `dry_run` nothing is written: the returned ImportRun is unsaved and carries `.preview`
    ({"created": [...], "reopened": [...], "resolved": [...]}, first rows of each).
    """
    started = time.perf_counter()
    if token is not None and token.project_id != project.pk:
        raise ValueError("the API token belongs to another project")
    refuse_bad_upload(project, content, file_name, audit)
    report = parse_scan(content, file_name=file_name, format=format)
    return scan_import_report(
        project=project,
        report=report,
        file_name=file_name,
        sha256=hashlib.sha256(content).hexdigest(),
        audit=audit,
        user=user,
        token=token,
        dry_run=dry_run,
        internal=internal,
        started=started,
    )


def scan_import_report(
    *,
    project: Project,
    report: ParsedScan,
    file_name: str,
    sha256: str = "",
    audit: Audit | None = None,
    user=None,
    token: ApiToken | None = None,
    dry_run: bool = False,
    internal: bool = False,
    started: float | None = None,
) -> ImportRun:
    """`scan_import` of a report already in the importer's shape: the re-scan's analyzers build
    their findings as a `ParsedScan` and hand it over here, without writing a file to read back.
    Fingerprints are assigned here, as for a file."""
    started = time.perf_counter() if started is None else started
    if audit is not None and audit.project_id != project.pk:
        raise ScanFormatError(
            f"audit {audit.pk} belongs to another project, not {project.slug}", file_name=file_name
        )
    if not internal:
        refuse_reserved_tool_names(report, file_name=file_name)
    assign_fingerprints(report.findings)
    run = ImportRun(
        project=project,
        audit=audit,
        user=user if getattr(user, "pk", None) else None,
        token=token,
        format=report.format,
        tool=report.tool[:100],
        file_name=clean_text(file_name)[:255],
        sha256=sha256,
        metrics=report.metrics,
    )
    if dry_run or connection.in_atomic_block:
        # A dry run writes nothing; inside a caller's transaction (a re-scan) the run row
        # belongs to that transaction and shares its fate.
        return scan_import_parsed(run, project, report, audit, token, dry_run=dry_run, started=started)
    # Record the run as running in its own committed row first, so an import whose process
    # dies mid-way (its transaction rolled back) still leaves a trace that the sweep marks
    # failed. Bad input was refused above, before this row existed.
    run.status = ImportRun.Status.RUNNING
    run.save()
    try:
        return scan_import_parsed(run, project, report, audit, token, dry_run=False, started=started)
    except ScanFormatError:
        ImportRun.objects.filter(pk=run.pk).delete()  # bad input: the database as it was
        raise
    except Exception as exc:
        ImportRun.objects.filter(pk=run.pk).update(
            status=ImportRun.Status.FAILED,
            error_message=f"{type(exc).__name__}: {exc}"[:2000],
            duration_ms=int((time.perf_counter() - started) * 1000),
        )
        raise


def refuse_bad_upload(project: Project, content: bytes, file_name: str, audit: Audit | None) -> None:
    if too_big := upload_size_error(len(content)):
        raise ScanFormatError(too_big, file_name=file_name)
    if audit is not None and audit.project_id != project.pk:
        raise ScanFormatError(
            f"audit {audit.pk} belongs to another project, not {project.slug}", file_name=file_name
        )


def scan_import_parsed(
    run: ImportRun,
    project: Project,
    report: ParsedScan,
    audit: Audit | None,
    token: ApiToken | None,
    *,
    dry_run: bool,
    started: float,
) -> ImportRun:
    now = timezone.now()
    with transaction.atomic():
        if not dry_run and connection.vendor == "postgresql":
            # Two imports into one project run one after the other, never interleaved.
            list(Project.objects.select_for_update().filter(pk=project.pk).values_list("pk"))
        plan = _plan(project, report)
        _count(run, plan)
        if dry_run:
            run.status = ImportRun.Status.DRY_RUN
            run.preview = _preview(plan)
            run.duration_ms = int((time.perf_counter() - started) * 1000)
            return run
        run.save()
        domains = dict(
            MaturityDomain.objects.filter(slug__in={f.domain_slug for f in plan.create}).values_list(
                "slug", "pk"
            )
        )
        write_findings(run, plan, domains, now)
        # Approved rule exceptions cover the findings of this report too, new ones included;
        # what the file says the team suppressed stays open until an exception is approved.
        hooks.after_import(project.pk, claims=_suppression_claims(report, run), user_id=run.user_id)
        if audit is not None and report.metrics:
            _apply_metrics(audit, report.metrics)
        if token is not None:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        run.status = ImportRun.Status.SUCCEEDED
        run.duration_ms = int((time.perf_counter() - started) * 1000)
        run.save(update_fields=["status", "duration_ms"])
        run.preview = _preview(plan)
        _schedule_recompute(project.pk)
    return run


def _suppression_claims(report: ParsedScan, run: ImportRun) -> list[hooks.ClosureClaim]:
    source = f"{run.file_name or 'a scanner file'} ({run.tool or run.format})"
    return [
        hooks.ClosureClaim(f.fingerprint, ACCEPTED_RISK, hooks.SUPPRESSED_IN_SCAN, source)
        for f in report.findings
        if f.suppressed
    ]


def is_reserved_tool_name(name: str) -> bool:
    folded = name.strip().casefold()
    return folded in RESERVED_TOOL_NAMES or folded.startswith(RESERVED_TOOL_PREFIX)


def refuse_reserved_tool_names(report: ParsedScan, *, file_name: str) -> None:
    """A SARIF file names its own tools; names auditor writes itself are refused. Other formats
    (bandit, JUnit, Cobertura) are named by their importer, so an upload of them is what it says."""
    if report.format != "sarif":
        return
    names = {*report.tools, *(f.tool for f in report.findings), *report.tool.split(", ")}
    reserved = sorted(n for n in names if n and is_reserved_tool_name(n))
    if reserved:
        raise ScanFormatError(
            f"the tool name {reserved[0]!r} (runs[].tool.driver.name) is reserved for findings auditor "
            f"records itself ({', '.join(sorted(RESERVED_TOOL_NAMES))}, and names starting with "
            f"{RESERVED_TOOL_PREFIX!r}); name the run after the tool that produced it. Nothing was imported.",
            file_name=file_name,
        )


def _plan(project: Project, report: ParsedScan) -> ImportPlan:
    plan = ImportPlan()
    known = {
        fingerprint: (pk, status, tool)
        for pk, fingerprint, status, tool in Finding.objects.filter(project=project)
        .values_list("pk", "fingerprint", "status", "tool")
        .iterator(chunk_size=10_000)
    }
    seen = set()
    for finding in report.findings:
        seen.add(finding.fingerprint)
        row = known.get(finding.fingerprint)
        if row is None:
            plan.create.append(finding)
        elif row[1] in ACTIVE:
            plan.still_open.append((row[0], finding))
        elif row[1] == FIXED:
            plan.reopen.append((row[0], finding))
        else:
            plan.unchanged_closed.append((row[0], finding))
    tools = report.tools
    plan.resolve = [
        pk
        for fingerprint, (pk, status, tool) in known.items()
        if status in ACTIVE and tool in tools and fingerprint not in seen
    ]
    return plan


def _count(run: ImportRun, plan: ImportPlan) -> None:
    run.created_count = len(plan.create)
    run.still_open_count = len(plan.still_open)
    run.reopened_count = len(plan.reopen)
    run.resolved_count = len(plan.resolve)
    run.unchanged_closed_count = len(plan.unchanged_closed)
    run.error_count = 0


def _row(finding: ScanFinding) -> dict:
    return {
        "title": finding.title,
        "severity": Severity(finding.severity).label,
        "tool": finding.tool,
        "rule_id": finding.rule_id,
        "file_path": finding.file_path,
        "line": finding.line,
    }


def _preview(plan: ImportPlan) -> dict:
    resolved = (
        list(
            Finding.objects.filter(pk__in=plan.resolve[:PREVIEW_ROWS])
            .order_by("pk")
            .values("title", "severity", "tool", "rule_id", "file_path", "line")
        )
        if plan.resolve
        else []
    )
    for row in resolved:
        row["severity"] = Severity(row["severity"]).label
    return {
        "created": [_row(f) for f in plan.create[:PREVIEW_ROWS]],
        "reopened": [_row(f) for _pk, f in plan.reopen[:PREVIEW_ROWS]],
        "resolved": resolved,
    }


def _apply_metrics(audit: Audit, metrics: dict) -> None:
    changed = []
    for name in AUDIT_METRIC_FIELDS:
        if name in metrics and metrics[name] is not None:
            value = metrics[name]
            if isinstance(value, float) and name.endswith("_percent"):
                value = Decimal(str(value))
            setattr(audit, name, value)
            changed.append(name)
    if metrics.get("extra"):
        audit.extra_metrics = {**(audit.extra_metrics or {}), **metrics["extra"]}
        changed.append("extra_metrics")
    if changed:
        audit.save(update_fields=[*changed, "updated_at"])


def _schedule_recompute(project_id: int) -> None:
    announce_evidence_changed(sender=Finding, project_id=project_id)
