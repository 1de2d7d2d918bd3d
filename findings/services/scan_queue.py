"""Large scanner reports imported by a worker: the queued run, its claim by the worker, and the
sweep that marks failed the runs whose process died."""

from __future__ import annotations

import datetime
import hashlib
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from findings import staging
from findings.fingerprints import assign_fingerprints
from findings.importers import ScanFormatError, parse_scan
from findings.importers.base import clean_text
from findings.models import ImportRun
from findings.services.scans import refuse_bad_upload, refuse_reserved_tool_names, scan_import_parsed
from projects.models import Audit, Project

# A run recorded as running this long without holding its project's lock is abandoned.
IMPORT_LOCK_GRACE_SECONDS = 60


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

    refuse_bad_upload(project, content, file_name, audit)
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
        scan_import_parsed(run, run.project, report, run.audit, None, dry_run=False, started=started)
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
