"""The re-scan: one automated audit of a project's repository, from checkout to alert.

Life of a run (an Audit of kind "automated"):
  queued   status in_progress, started_at NULL (created by `project_rescan_request`)
  running  status in_progress, started_at set (claimed by `audit_rescan_run`, conditional UPDATE)
  done     status completed (scanned, or "no change"), or failed (error, or abandoned by a
           killed worker and swept by `dispatcher.sweep_abandoned`).
A project has at most one queued or running scan: requests lock the project row and check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from projects.models import AUDIT_METRIC_FIELDS, Audit, Project
from rescans import change, incremental, kept_memos, workspace
from rescans.execution import ScanResult, run_scanners, stored_text
from rescans.models import RescanRun
from rescans.results import not_measured, results_import, summary_line
from rescans.scanners import Scanner, enabled_scanners
from rescans.selectors import config_hash_of, previous_automated_audit
from rescans.selectors import running_scan as running_scan  # pages ask services for it
from scoring import measurements
from scoring import services as scoring

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger(__name__)

# Bump when scanners or their options change: a scan of the same commit is then not "no change".
# 2: analyzers ignore the repository's configuration; links removed. 3: inventory, semgrep,
# lizard, osv and secrets analyzers.
SCANNERS_VERSION = "3"


def max_scan_seconds() -> int:
    return int(settings.SCAN_MAX_SECONDS)


def scan_config_hash(project: Project) -> str:
    config = {
        "repository": project.repository_url,
        "branch": project.branch or "main",
        "scanners": sorted(project.enabled_scanners or []),
        "version": SCANNERS_VERSION,
        "artifacts": list(settings.SCAN_ARTIFACT_PATHS),
    }
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()


def project_rescan_request(
    *,
    project_id: int,
    force: bool = False,
    reason: str = "manual",
    user: AbstractBaseUser | AnonymousUser | None = None,
    enqueue: bool = True,
) -> Audit | None:
    """Queue a re-scan of the project: creates the automated audit (queued) and, after commit,
    sends the Celery task its id. Returns None, doing nothing, when a scan is already queued or
    running for the project."""
    with transaction.atomic():
        # The project row lock serialises concurrent requests for the same project.
        project = Project.objects.select_for_update().get(pk=project_id)
        if running_scan(project_id=project.pk) is not None:
            return None
        audit, run = queued_run(
            project_id=project.pk,
            now=timezone.now(),
            reason=reason,
            force=force,
            requested_by=getattr(user, "username", "") or "",
        )
        audit.project = project  # already read: the audit trail's entry names it
        audit.save(force_insert=True)
        run.audit = audit
        run.save(force_insert=True)
        if enqueue:
            audit_id = audit.pk
            transaction.on_commit(lambda: _enqueue(audit_id))
    return audit


def queued_run(
    *, project_id: int, now: dt.datetime, reason: str, force: bool = False, requested_by: str = ""
) -> tuple[Audit, RescanRun]:
    """A queued re-scan, unsaved: its automated audit and its run (save the audit first). Shared
    by the request above and the dispatcher, which creates a batch of them in two INSERTs."""
    audit = Audit(
        project_id=project_id,
        kind=Audit.Kind.AUTOMATED,
        status=Audit.Status.IN_PROGRESS,
        title=f"Automated re-scan {timezone.localtime(now):%Y-%m-%d %H:%M}",
        audit_date=timezone.localdate(now),
        auditor=None,
    )
    run = RescanRun(
        state=RescanRun.State.QUEUED,
        reason=reason,
        force=bool(force),
        requested_at=now,
        requested_by=requested_by,
    )
    return audit, run


QUEUE_UNAVAILABLE = "the task queue was unavailable; nothing ran"


def _enqueue(audit_id: int) -> None:
    """Send the task (after commit). If the broker is down, the queued audit is closed at once
    (so it neither shows as running nor blocks the next request) and the error is raised."""
    from kombu.exceptions import OperationalError

    from rescans.tasks import rescan

    try:
        rescan.delay(audit_id)
    except OperationalError:
        _finish_failed(audit_id, QUEUE_UNAVAILABLE)
        raise


def audit_rescan_run(*, audit_id: int) -> Audit | None:
    """Run one queued re-scan to its end. Idempotent: a run already claimed, finished or swept
    is left alone (returns None)."""
    now = timezone.now()
    claimed = Audit.objects.filter(
        pk=audit_id,
        kind=Audit.Kind.AUTOMATED,
        status=Audit.Status.IN_PROGRESS,
        started_at__isnull=True,
    ).update(started_at=now)
    if not claimed:
        logger.info("re-scan %s: already claimed or finished; nothing to do", audit_id)
        return None
    try:
        audit = Audit.objects.select_related("project").get(pk=audit_id)
        project = audit.project
        config_hash = scan_config_hash(project)
        run, _created = RescanRun.objects.get_or_create(audit=audit)
        RescanRun.objects.filter(pk=audit_id).update(state=RescanRun.State.RUNNING, config_hash=config_hash)
    except Audit.DoesNotExist:
        logger.info("re-scan %s: the audit (or its project) was deleted before the scan", audit_id)
        return None
    started = time.monotonic()
    try:
        scanners = enabled_scanners(project.enabled_scanners)
        sha = workspace.remote_head(
            url=project.repository_url, branch=project.branch, credentials=project.repository_credentials
        )
        previous = previous_automated_audit(project_id=project.pk, before_id=audit.pk)
        if (
            not run.force
            and previous is not None
            and previous.commit_sha == sha
            and config_hash_of(previous) == config_hash
        ):
            return _finish_no_change(audit, previous, sha)
        with workspace.checkout(
            url=project.repository_url,
            branch=project.branch,
            credentials=project.repository_credentials,
            cache_key=str(project.pk),
        ) as co:
            if co.memo_file is not None:
                kept_memos.load(co.path, co.memo_file)  # from this host's last run of the project
            scanners, plan = incremental.plan_scan(
                project=project,
                audit_id=audit.pk,
                force=run.force or run.reason in incremental.FULL_ON_DEMAND,
                config_hash=config_hash,
                checkout=co,
                scanners=scanners,
            )
            result = run_scanners(scanners, co.path, co.home, few_files=plan.incremental)
            result.links_note = co.links_note
            keeping = kept_memos.save_in_background(co.path, co.memo_file, full=not plan.incremental)
            try:
                return _finish_scanned(
                    audit, co.commit_sha, co.path, scanners, result, time.monotonic() - started
                )
            finally:
                if keeping is not None:
                    keeping.join()  # before the kept checkout's lock is released
    except (workspace.RepositoryError, ValueError) as exc:
        return _finish_failed(audit_id, workspace.redact(str(exc)))
    except Audit.DoesNotExist:
        logger.info("re-scan %s: the audit (or its project) was deleted during the scan", audit_id)
        return None
    except Exception as exc:
        # Only the exception's type is stored: its text may hold the very data that failed.
        _finish_failed(audit_id, f"internal error: {type(exc).__name__}")
        raise


def _finish_scanned(
    audit: Audit,
    sha: str,
    path: Path,
    scanners: list[Scanner],
    result: ScanResult,
    duration_s: float,
) -> Audit | None:
    with transaction.atomic():
        audit = Audit.objects.select_for_update().select_related("project").get(pk=audit.pk)
        if audit.status != Audit.Status.IN_PROGRESS:
            logger.warning("re-scan %s was swept while running; its results are discarded", audit.pk)
            return None
        project = audit.project
        results_import(audit=audit, scanners=scanners, result=result, path=path)
        run = RescanRun.objects.select_for_update().get(pk=audit.pk)
        run.outcome = RescanRun.Outcome.SCANNED
        run.parts = result.parts
        run.missing = sorted(name for name, part in result.parts.items() if part["status"] != "ok")
        run.duration_s = round(duration_s, 2)
        incremental.finish(audit=audit, run=run, scanners=scanners)
        audit.unmeasured_domains = not_measured(result.parts)
        _complete(audit, run, sha=sha, summary=summary_line(project, result))
    return audit


def _finish_no_change(audit: Audit, previous: Audit, sha: str) -> Audit | None:
    with transaction.atomic():
        audit = Audit.objects.select_for_update().get(pk=audit.pk)
        if audit.status != Audit.Status.IN_PROGRESS:
            return None
        for name in (*AUDIT_METRIC_FIELDS, "extra_metrics", "unmeasured_domains"):
            setattr(audit, name, getattr(previous, name))
        measurements.audit_copy_measurements(source_audit_id=previous.pk, audit_id=audit.pk)
        before = RescanRun.objects.filter(audit=previous).first()
        run = RescanRun.objects.select_for_update().get(pk=audit.pk)
        run.outcome = RescanRun.Outcome.NO_CHANGE
        run.same_as = previous
        run.parts = before.parts if before else {}
        run.missing = before.missing if before else []
        _complete(
            audit,
            run,
            sha=sha,
            summary=f"No change since audit #{previous.pk}: same commit {sha[:12]}, same configuration.",
        )
    return audit


def _complete(audit: Audit, run: RescanRun, *, sha: str, summary: str) -> None:
    """Mark a run completed, score it (the audit's unmeasured domains stay not measured: scoring
    reads them), store the change since the previous re-scan, and send the regression alert
    once the transaction commits."""
    audit.commit_sha = sha
    audit.status = Audit.Status.COMPLETED
    audit.finished_at = timezone.now()
    audit.summary = summary
    audit.save()
    scoring.audit_recompute(audit=audit)
    audit.refresh_from_db()
    run.state = RescanRun.State.COMPLETED
    run.change = change.compute_change(audit)
    run.save()
    audit_id = audit.pk
    transaction.on_commit(lambda: change.notify_after_commit(audit_id))


def _finish_failed(audit_id: int, message: str) -> Audit | None:
    """Close a run as failed and so release its project. Two plain UPDATEs of a few columns
    with a cleaned, capped message: nothing the run produced is written again, so this cannot
    fail on the data that made the run fail."""
    message = stored_text(message)
    try:
        with transaction.atomic():
            updated = Audit.objects.filter(pk=audit_id, status=Audit.Status.IN_PROGRESS).update(
                status=Audit.Status.FAILED,
                finished_at=timezone.now(),
                summary=f"Re-scan failed: {message}"[:1000],
            )
            if updated:
                RescanRun.objects.filter(pk=audit_id).update(
                    state=RescanRun.State.FAILED, outcome=RescanRun.Outcome.FAILED, error=message
                )
    except DatabaseError:
        # The sweep closes the run after SCAN_MAX_SECONDS; the caller's exception is the story.
        logger.exception("re-scan %s: could not be marked failed", audit_id)
        return None
    logger.warning("re-scan %s failed: %s", audit_id, message)
    return Audit.objects.get(pk=audit_id) if updated else None
