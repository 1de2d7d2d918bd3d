"""Findings services: scanner report import (every entry point goes through `scan_import`)
and per-project API tokens."""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from findings import hooks, sla, staging
from findings.fingerprints import assign_fingerprints
from findings.importers import ParsedScan, ScanFinding, ScanFormatError, parse_scan
from findings.importers.base import clean_text
from findings.models import ApiToken, Finding, FindingComment, ImportRun, Severity
from projects import access
from projects.events import announce_evidence_changed
from projects.models import AUDIT_METRIC_FIELDS, Audit, MaturityDomain, Project
from projects.uploads import upload_size_error

PREVIEW_ROWS = 20
ACTIVE = tuple(str(s) for s in Finding.ACTIVE_STATUSES)
CLOSED_BY_HUMAN = (str(Finding.Status.ACCEPTED_RISK), str(Finding.Status.FALSE_POSITIVE))
FIXED = str(Finding.Status.FIXED)
# Tool names auditor writes itself: findings entered by hand, found in imported audit reports,
# the re-scanner's built-in checks and CI artifacts, and any name starting with "auditor". A
# report uploaded from outside may not name its runs so: resolution is scoped to the tools a
# report names, so such a run would mark auditor's own findings fixed.
RESERVED_TOOL_NAMES = frozenset({"manual", "report", "reports", "coverage", "junit", "checks", "artifacts"})
RESERVED_TOOL_PREFIX = "auditor"
# A run recorded as running this long without holding its project's lock is abandoned.
IMPORT_LOCK_GRACE_SECONDS = 60
# Non-PostgreSQL databases (the embedded SQLite default) write in batches of this size.
BATCH_SIZE = 500


@dataclass
class _Plan:
    create: list[ScanFinding] = field(default_factory=list)
    still_open: list[tuple[int, ScanFinding]] = field(default_factory=list)
    reopen: list[tuple[int, ScanFinding]] = field(default_factory=list)
    unchanged_closed: list[tuple[int, ScanFinding]] = field(default_factory=list)
    resolve: list[int] = field(default_factory=list)


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
    _refuse_bad_upload(project, content, file_name, audit)
    report = parse_scan(content, file_name=file_name, format=format)
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
        sha256=hashlib.sha256(content).hexdigest(),
        metrics=report.metrics,
    )
    if dry_run or connection.in_atomic_block:
        # A dry run writes nothing; inside a caller's transaction (a re-scan) the run row
        # belongs to that transaction and shares its fate.
        return _import(run, project, report, audit, token, dry_run=dry_run, started=started)
    # Record the run as running in its own committed row first, so an import whose process
    # dies mid-way (its transaction rolled back) still leaves a trace that the sweep marks
    # failed. Bad input was refused above, before this row existed.
    run.status = ImportRun.Status.RUNNING
    run.save()
    try:
        return _import(run, project, report, audit, token, dry_run=False, started=started)
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


def _refuse_bad_upload(project: Project, content: bytes, file_name: str, audit: Audit | None) -> None:
    if too_big := upload_size_error(len(content)):
        raise ScanFormatError(too_big, file_name=file_name)
    if audit is not None and audit.project_id != project.pk:
        raise ScanFormatError(
            f"audit {audit.pk} belongs to another project, not {project.slug}", file_name=file_name
        )


class ImportQueueUnavailable(Exception):
    """The task queue refused a background import; nothing was recorded or imported."""


QUEUE_UNAVAILABLE = (
    "This report is large, so it is imported in the background, but the task queue is not "
    "answering: nothing was imported. Please upload it again when the queue is back."
)


def needs_background_import(*, size: int, results: int) -> bool:
    """Reports this large are imported by a worker, not inside a web request."""
    return size > settings.IMPORT_BACKGROUND_BYTES or results > settings.IMPORT_BACKGROUND_RESULTS


def scan_import_enqueue(
    *,
    project: Project,
    content: bytes,
    file_name: str,
    format: str = "auto",
    audit: Audit | None = None,
    user=None,
    results: int | None = None,
) -> ImportRun:
    """Record a queued ImportRun and send its import to a worker (findings.import_scan_report).

    Raises ImportQueueUnavailable when the broker refuses the task: the run row and the kept
    file are then removed again, so nothing is left half-done.
    """
    from kombu.exceptions import OperationalError

    from findings.tasks import import_scan_report

    _refuse_bad_upload(project, content, file_name, audit)
    key = staging.park(content)
    run = ImportRun.objects.create(
        project=project,
        audit=audit,
        user=user if getattr(user, "pk", None) else None,
        format=format[:20],
        file_name=clean_text(file_name)[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        status=ImportRun.Status.QUEUED,
        total=results,
    )
    try:
        # Sent at once (not on commit): a refused message must be known while the user waits.
        import_scan_report.delay(run.pk, key)
    except OperationalError as exc:
        ImportRun.objects.filter(pk=run.pk).delete()
        staging.discard(key)
        raise ImportQueueUnavailable(QUEUE_UNAVAILABLE) from exc
    return run


def scan_import_run_queued(*, run_id: int, key: str) -> ImportRun | None:
    """Import the report of a queued run (the worker's side of scan_import_enqueue).

    Idempotent: the run is claimed (queued -> running) by one conditional UPDATE, so a
    redelivered task finds it claimed and does nothing. Returns None then.
    """
    run = ImportRun.objects.select_related("project", "audit").filter(pk=run_id).first()
    if run is None or run.status != ImportRun.Status.QUEUED:
        return None
    started = time.perf_counter()
    try:
        # Parsed before the claim: a run counts as running from its claim on, and the
        # abandoned-import sweep must not see a claimed run whose lock is not taken yet.
        content = staging.read_parked(key)
        report = parse_scan(content, file_name=run.file_name, format=run.format)
        refuse_reserved_tool_names(report, file_name=run.file_name)
        assign_fingerprints(report.findings)
    except (ScanFormatError, staging.StagingError) as exc:
        _fail_queued(run, str(exc), started, from_status=ImportRun.Status.QUEUED)
        staging.discard(key)
        return run
    run.format = report.format
    run.tool = report.tool[:100]
    run.metrics = report.metrics
    run.total = len(report.findings)
    run.processed = 0
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.QUEUED).update(
        status=ImportRun.Status.RUNNING,
        format=run.format,
        tool=run.tool,
        metrics=run.metrics,
        total=run.total,
        processed=0,
    )
    if not claimed:
        return None
    run.status = ImportRun.Status.RUNNING
    # Saved by the import inside its transaction: all results processed, or (rolled back) none.
    run.processed = run.total
    try:
        _import(run, run.project, report, run.audit, None, dry_run=False, started=started)
    except Exception as exc:  # noqa: BLE001 - the run must end failed, whatever stopped it
        run.processed = 0
        _fail_queued(run, f"{type(exc).__name__}: {exc}", started, from_status=ImportRun.Status.RUNNING)
        return run
    finally:
        staging.discard(key)
    return run


def _fail_queued(run: ImportRun, message: str, started: float, *, from_status: str) -> None:
    ImportRun.objects.filter(pk=run.pk, status=from_status).update(
        status=ImportRun.Status.FAILED,
        error_message=message[:2000],
        duration_ms=int((time.perf_counter() - started) * 1000),
    )
    run.status = ImportRun.Status.FAILED
    run.error_message = message[:2000]


def _import(
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
        _write(run, plan, domains, now)
        # Approved rule exceptions cover the findings of this report too, new ones included.
        hooks.after_import(project.pk)
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


def import_runs_sweep_abandoned(*, older_than_seconds: int | None = None) -> int:
    """Mark failed the import runs whose process died mid-import (left "running"), and the
    queued runs no worker took before their file expired.

    On PostgreSQL a live import holds its project's row lock for the whole transaction, so a
    running run whose project row can be locked now has no live import behind it (after a
    short grace period covering the moment between recording the run and taking the lock).
    Elsewhere a run counts as abandoned once older than IMPORT_ABANDONED_AFTER_SECONDS.
    Returns the number of runs marked failed.
    """
    grace = settings.IMPORT_ABANDONED_AFTER_SECONDS if older_than_seconds is None else older_than_seconds
    if connection.vendor == "postgresql":
        grace = min(grace, IMPORT_LOCK_GRACE_SECONDS)
    cutoff = timezone.now() - datetime.timedelta(seconds=grace)
    # A queued run no worker took before its kept file expired can never run any more.
    expired = timezone.now() - datetime.timedelta(seconds=staging.STAGING_MAX_AGE)
    swept = ImportRun.objects.filter(status=ImportRun.Status.QUEUED, created_at__lt=expired).update(
        status=ImportRun.Status.FAILED,
        error_message="No worker took this import within a day (is a worker consuming the "
        '"default" queue?); nothing was imported. Please upload the report again.',
    )
    candidates = ImportRun.objects.filter(status=ImportRun.Status.RUNNING, created_at__lt=cutoff)
    for run_id, project_id in candidates.values_list("pk", "project_id")[:500]:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                free = list(
                    Project.objects.select_for_update(skip_locked=True)
                    .filter(pk=project_id)
                    .values_list("pk")
                )
                if not free:
                    continue  # an import is running for this project right now
            swept += ImportRun.objects.filter(pk=run_id, status=ImportRun.Status.RUNNING).update(
                status=ImportRun.Status.FAILED,
                error_message="Abandoned: the importing process stopped before the import "
                "finished; nothing of it was written (its transaction rolled back).",
            )
    return swept


def _plan(project: Project, report: ParsedScan) -> _Plan:
    plan = _Plan()
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


def _count(run: ImportRun, plan: _Plan) -> None:
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


def _preview(plan: _Plan) -> dict:
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


def _new_status(finding: ScanFinding) -> str:
    # Plain str/int, never the enum members: COPY would adapt an Enum by its name.
    return str(Finding.Status.ACCEPTED_RISK if finding.suppressed else Finding.Status.OPEN)


_COPY_COLUMNS = (
    "project_id",
    "first_seen_audit_id",
    "last_seen_audit_id",
    "title",
    "description",
    "severity",
    "confidence",
    "domain_id",
    "status",
    "status_changed_at",
    "tool",
    "rule_id",
    "cwe",
    "file_path",
    "line",
    "recommendation",
    "effort",
    "fingerprint",
    "first_seen_at",
    "last_seen_at",
    "created_at",
    "updated_at",
    "sla_due_at",
)


def _values(run: ImportRun, finding: ScanFinding, domains: dict, now, sla_days: dict) -> tuple:
    return (
        run.project_id,
        run.audit_id,
        run.audit_id,
        finding.title[:500],
        finding.description,
        int(finding.severity),
        finding.confidence[:20],
        domains.get(finding.domain_slug),
        _new_status(finding),
        now,
        finding.tool[:100],
        finding.rule_id[:200],
        finding.cwe[:20],
        finding.file_path[:1000],
        finding.line,
        finding.recommendation,
        "",
        finding.fingerprint,
        now,
        now,
        now,
        now,
        sla.due_at(now, int(finding.severity), sla_days),
    )


def _write(run: ImportRun, plan: _Plan, domains: dict, now) -> None:
    if connection.vendor == "postgresql":
        _write_postgresql(run, plan, domains, now)
    else:
        _write_portable(run, plan, domains, now)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_CHUNK_ROWS = 5000


def _copy_chunks(run: ImportRun, findings: list[ScanFinding], domains: dict, now, sla_days: dict):
    """COPY text-format lines for _COPY_COLUMNS, built here in one f-string per row: several
    times faster than psycopg's per-value adaptation (write_row)."""
    t = _COPY_ESCAPES
    stamp = now.isoformat()
    audit = "\\N" if run.audit_id is None else str(run.audit_id)
    head = f"{run.project_id}\t{audit}\t{audit}\t"
    tail = f"\t{stamp}\t{stamp}\t{stamp}\t{stamp}"
    null = "\\N"
    # The SLA clock starts now for every new finding: one due date per severity.
    due = {
        sev: null if d is None else (now + datetime.timedelta(days=d)).isoformat()
        for sev, d in sla_days.items()
    }
    for start in range(0, len(findings), COPY_CHUNK_ROWS):
        lines = []
        for f in findings[start : start + COPY_CHUNK_ROWS]:
            domain = domains.get(f.domain_slug)
            lines.append(
                f"{head}{f.title[:500].translate(t)}\t{f.description.translate(t)}\t"
                f"{int(f.severity)}\t{f.confidence[:20].translate(t)}\t"
                f"{null if domain is None else domain}\t{_new_status(f)}\t{stamp}\t"
                f"{f.tool[:100].translate(t)}\t{f.rule_id[:200].translate(t)}\t"
                f"{f.cwe[:20].translate(t)}\t{f.file_path[:1000].translate(t)}\t"
                f"{null if f.line is None else int(f.line)}\t{f.recommendation.translate(t)}\t"
                f"\t{f.fingerprint}{tail}\t{due.get(int(f.severity), null)}"
            )
        text = "\n".join(lines) + "\n"
        # PostgreSQL text cannot hold NUL; lone surrogates (valid in JSON) cannot be encoded.
        yield text.replace("\x00", "").encode("utf-8", "replace")


def _write_postgresql(run: ImportRun, plan: _Plan, domains: dict, now) -> None:
    """A constant number of statements whatever the number of findings: COPY for new rows,
    one UPDATE ... FROM unnest(arrays) per kind of change."""
    assert Finding._meta.db_table == "findings_finding"
    with connection.cursor() as cursor:
        if plan.create:
            columns = ", ".join(_COPY_COLUMNS)
            with cursor.cursor.copy(f"COPY findings_finding ({columns}) FROM STDIN") as copy:
                for chunk in _copy_chunks(run, plan.create, domains, now, sla.days_by_severity(run.project)):
                    copy.write(chunk)
        seen = plan.still_open + plan.unchanged_closed
        if seen:
            cursor.execute(
                "UPDATE findings_finding AS f SET line = v.line, last_seen_at = %s, updated_at = %s, "
                "last_seen_audit_id = COALESCE(%s, f.last_seen_audit_id) "
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(id, line) WHERE f.id = v.id",
                [now, now, run.audit_id, [pk for pk, _f in seen], [f.line for _pk, f in seen]],
            )
        if plan.reopen:
            cursor.execute(
                "UPDATE findings_finding AS f SET line = v.line, status = v.status, reopened_at = %s, "
                "status_changed_at = %s, fixed_at = NULL, resolved_by_import_id = NULL, "
                "fixed_within_sla = NULL, last_seen_at = %s, updated_at = %s, "
                "last_seen_audit_id = COALESCE(%s, f.last_seen_audit_id) "
                "FROM unnest(%s::bigint[], %s::integer[], %s::varchar[]) AS v(id, line, status) "
                "WHERE f.id = v.id",
                [
                    now,
                    now,
                    now,
                    now,
                    run.audit_id,
                    [pk for pk, _f in plan.reopen],
                    [f.line for _pk, f in plan.reopen],
                    [_new_status(f) for _pk, f in plan.reopen],
                ],
            )
        if plan.resolve:
            cursor.execute(
                "UPDATE findings_finding SET status = %s, fixed_at = %s, status_changed_at = %s, "
                "resolved_by_import_id = %s, updated_at = %s, "
                "fixed_within_sla = CASE WHEN sla_due_at IS NULL THEN NULL ELSE sla_due_at >= %s END "
                "WHERE id = ANY(%s::bigint[])",
                [FIXED, now, now, run.pk, now, now, plan.resolve],
            )


def _clean(value):
    if value.__class__ is str:
        return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value


def _write_portable(run: ImportRun, plan: _Plan, domains: dict, now) -> None:
    sla_days = sla.days_by_severity(run.project)
    Finding.objects.bulk_create(
        [
            Finding(
                **{
                    column: _clean(value)
                    for column, value in zip(
                        _COPY_COLUMNS, _values(run, f, domains, now, sla_days), strict=True
                    )
                }
            )
            for f in plan.create
        ],
        batch_size=BATCH_SIZE,
    )
    seen = [
        Finding(pk=pk, line=f.line, last_seen_at=now, updated_at=now, last_seen_audit_id=run.audit_id)
        for pk, f in plan.still_open + plan.unchanged_closed
    ]
    fields = ["line", "last_seen_at", "updated_at"] + (["last_seen_audit_id"] if run.audit_id else [])
    Finding.objects.bulk_update(seen, fields, batch_size=BATCH_SIZE)
    reopened = [
        Finding(
            pk=pk,
            line=f.line,
            status=_new_status(f),
            reopened_at=now,
            status_changed_at=now,
            fixed_at=None,
            fixed_within_sla=None,
            resolved_by_import=None,
            last_seen_at=now,
            updated_at=now,
            last_seen_audit_id=run.audit_id,
        )
        for pk, f in plan.reopen
    ]
    Finding.objects.bulk_update(
        reopened,
        fields
        + [
            "status",
            "reopened_at",
            "status_changed_at",
            "fixed_at",
            "fixed_within_sla",
            "resolved_by_import",
        ],
        batch_size=BATCH_SIZE,
    )
    for start in range(0, len(plan.resolve), BATCH_SIZE):
        Finding.objects.filter(pk__in=plan.resolve[start : start + BATCH_SIZE]).update(
            status=FIXED,
            fixed_at=now,
            status_changed_at=now,
            resolved_by_import=run,
            updated_at=now,
            fixed_within_sla=sla.fixed_within_sla_case(now),
        )


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


# --- findings stated in an imported audit report ----------------------------------------


@dataclass
class StatedFinding:
    """A finding as a hand-written report states it. `fingerprint` is the identity the caller
    gives it (the same finding stated by a later report must get the same one)."""

    title: str
    severity: int
    fingerprint: str
    status: str = "open"
    file_path: str = ""
    line: int | None = None
    description: str = ""


def stated_findings_import(
    *, audit: Audit, findings: list[StatedFinding], tool: str = "report"
) -> tuple[int, int]:
    """Record the findings an imported report states, as (created, updated).

    The status rules of scan imports apply: a finding seen again is last seen in this audit; a
    fixed one stated open again is reopened; one a human closed (accepted risk, false positive)
    keeps that decision; otherwise the report's stated status (fixed, in progress, ...) is kept.
    """
    now = timezone.now()
    by_fingerprint = {f.fingerprint: f for f in findings}
    existing = {
        f.fingerprint: f
        for f in Finding.objects.filter(project=audit.project, fingerprint__in=list(by_fingerprint))
    }
    to_create, to_update = [], []
    sla_days = sla.days_by_severity(audit.project)
    for fingerprint, stated in by_fingerprint.items():
        status = str(stated.status)
        current = existing.get(fingerprint)
        if current is None:
            to_create.append(
                Finding(
                    project=audit.project,
                    first_seen_audit=audit,
                    last_seen_audit=audit,
                    title=clean_text(stated.title)[:500],
                    description=clean_text(stated.description),
                    severity=stated.severity,
                    status=status,
                    status_changed_at=now,
                    tool=tool,
                    file_path=clean_text(stated.file_path)[:1000],
                    line=stated.line,
                    fingerprint=fingerprint,
                    first_seen_at=now,
                    last_seen_at=now,
                    fixed_at=now if status == FIXED else None,
                    sla_due_at=sla.due_at(now, stated.severity, sla_days),
                )
            )
            if status == FIXED:
                to_create[-1].fixed_within_sla = sla.fixed_within(to_create[-1].sla_due_at, now)
            continue
        current.last_seen_audit, current.last_seen_at = audit, now
        if str(current.status) not in CLOSED_BY_HUMAN and str(current.status) != status:
            if str(current.status) == FIXED and status in ACTIVE:
                current.reopened_at, current.fixed_at, current.fixed_within_sla = now, None, None
            elif status == FIXED:
                current.fixed_at = now
                current.fixed_within_sla = sla.fixed_within(current.sla_due_at, now)
            current.status, current.status_changed_at = status, now
        to_update.append(current)
    Finding.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Finding.objects.bulk_update(
        to_update,
        [
            "last_seen_audit",
            "last_seen_at",
            "status",
            "status_changed_at",
            "fixed_at",
            "reopened_at",
            "fixed_within_sla",
        ],
        batch_size=BATCH_SIZE,
    )
    if to_create or to_update:
        _schedule_recompute(audit.project_id)
    return len(to_create), len(to_update)


# --- API tokens -------------------------------------------------------------------------

TOKEN_PREFIX = "aud_"  # noqa: S105 (a public marker, not a secret)


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_create(*, project: Project, name: str, created_by=None) -> tuple[ApiToken, str]:
    """Create a token; returns it with the secret, which is shown once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        project=project,
        name=name,
        prefix=raw[:12],
        token_hash=_hash_token(raw),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    return token, raw


def api_token_fill_secret(*, token: ApiToken) -> str:
    """Give an unsaved token (admin add form) a fresh secret; returns the secret."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token.prefix = raw[:12]
    token.token_hash = _hash_token(raw)
    return raw


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token with this secret, or None."""
    if not raw or len(raw) > 200:
        return None
    return (
        ApiToken.objects.select_related("project")
        .filter(token_hash=_hash_token(raw), revoked_at__isnull=True)
        .first()
    )


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


# --- comments ---------------------------------------------------------------------------

COMMENT_MAX_CHARS = 10_000
MENTION_RE = re.compile(r"(?<![\w.@])@([\w.+-]{1,150})")


def comment_add(*, finding: Finding, author, body: str, internal: bool = False) -> FindingComment:
    """Add a note to a finding's thread. Every @username of someone who may see the project adds
    them to the finding's watchers (their daily digest lists its new comments and its breach).
    Raises ValidationError naming the problem; nothing is written then."""
    text = clean_text(body or "").strip()
    if not text:
        raise ValidationError({"body": "A comment needs some text."})
    if len(text) > COMMENT_MAX_CHARS:
        raise ValidationError({"body": f"A comment holds at most {COMMENT_MAX_CHARS:,} characters."})
    with transaction.atomic():
        comment = FindingComment.objects.create(
            finding=finding,
            author=author if getattr(author, "pk", None) else None,
            body=text,
            internal=internal,
        )
        mentioned = mentioned_users(text)
        visible = [user for user in mentioned if access.can_see_project(user, finding.project)]
        if visible:
            finding.watchers.add(*visible)
    return comment


def mentioned_users(text: str) -> list:
    names = {name.rstrip(".") for name in MENTION_RE.findall(text)}
    if not names:
        return []
    return list(get_user_model().objects.filter(username__in=names, is_active=True))
