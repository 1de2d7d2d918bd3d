"""Periodic work of re-scans, run by beat every minute through one PeriodicTask.

- `dispatch_due`: every active project whose next scan is due is *claimed* with a conditional
  UPDATE of its next due time (WHERE next_scan_at = the value just read): of two dispatchers
  running at once, exactly one wins each project. The winner queues one re-scan.
- `sweep_abandoned`: runs still in progress after the maximum scan time (a worker killed
  mid-scan) are marked failed (abandoned), each with a conditional UPDATE, and retried once.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import time
from pathlib import Path

from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from projects.models import Audit, Project
from rescans import schedule
from rescans.models import RescanRun
from rescans.services import max_scan_seconds, project_rescan_request

logger = logging.getLogger(__name__)
DISPATCH_BATCH = 500


def dispatch_due(*, now: dt.datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Queue a re-scan of each due project; returns the ids of the projects this call claimed."""
    now = now or timezone.now()
    # Served by the partial index project_scan_due_idx (active projects with a due time).
    due = list(
        Project.objects.filter(is_active=True, next_scan_at__isnull=False, next_scan_at__lte=now)
        .order_by("next_scan_at")
        .values_list("pk", "next_scan_at", "scan_schedule")[:limit]
    )
    claimed_ids = []
    for pk, due_at, expression in due:
        try:
            following = schedule.next_run(expression, now)
        except schedule.ScheduleError as exc:
            logger.warning("project %s: bad re-scan schedule, turned off: %s", pk, exc)
            following = None
        claimed = Project.objects.filter(pk=pk, next_scan_at=due_at).update(next_scan_at=following)
        if not claimed:
            continue  # another dispatcher claimed it first
        try:
            queued = project_rescan_request(project_id=pk, reason="schedule")
        except BrokerUnavailable:
            # Give the claim back so the next dispatch tries again; stop while the broker is down.
            Project.objects.filter(pk=pk, next_scan_at=following).update(next_scan_at=due_at)
            logger.warning("broker unavailable: re-scans not queued; will retry next minute")
            break
        claimed_ids.append(pk)
        if queued is None:
            logger.info("project %s: re-scan due but one is still running; skipped", pk)
    return claimed_ids


def sweep_abandoned(*, now: dt.datetime | None = None) -> list[int]:
    """Mark automated runs older than SCAN_MAX_SECONDS failed (abandoned); retry each once."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=max_scan_seconds())
    stale = list(
        Audit.objects.filter(kind=Audit.Kind.AUTOMATED, status=Audit.Status.IN_PROGRESS)
        .filter(created_at__lt=cutoff)
        .values_list(
            "pk", "project_id", "started_at", "created_at", "rescan_run__reason", "rescan_run__force"
        )
    )
    swept = []
    for pk, project_id, started_at, created_at, reason, force in stale:
        if (started_at or created_at) >= cutoff:
            continue
        updated = Audit.objects.filter(pk=pk, status=Audit.Status.IN_PROGRESS, started_at=started_at).update(
            status=Audit.Status.FAILED,
            finished_at=now,
            summary="Re-scan abandoned: the worker running it stopped before it finished.",
        )
        if not updated:
            continue
        RescanRun.objects.update_or_create(
            audit_id=pk,
            defaults={
                "state": RescanRun.State.FAILED,
                "outcome": RescanRun.Outcome.ABANDONED,
                "error": f"abandoned: still running after {max_scan_seconds()} s (worker killed or lost)",
            },
        )
        swept.append(pk)
        if reason != RescanRun.Reason.RETRY:
            retry = project_rescan_request(
                project_id=project_id, force=bool(force), reason=RescanRun.Reason.RETRY
            )
            if retry is not None:
                logger.warning("re-scan %s abandoned; retried as %s", pk, retry.pk)
    remove_stale_workspaces()
    return swept


def remove_stale_workspaces() -> int:
    """A worker killed with -9 cannot remove its checkout: remove those older than the maximum."""
    cutoff = time.time() - max_scan_seconds()
    removed = 0
    for path in Path(tempfile.gettempdir()).glob("auditor-scan-*"):
        try:
            if path.is_dir() and not path.is_symlink() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed
