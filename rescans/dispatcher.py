"""Periodic work of re-scans, run by beat every minute through one PeriodicTask.

- `dispatch_due`: claims a batch of due projects and queues their re-scans in a constant number
  of queries, however many projects are scheduled or due (SCAN_DISPATCH_BATCH per pass, the
  rest at the next pass): one SELECT ... FOR UPDATE SKIP LOCKED of the batch (of two
  dispatchers running at once, each project is claimed by exactly one; on SQLite the write
  lock taken at BEGIN serialises them), one UPDATE re-arming every claimed project for its
  next occurrence (with its own jitter, `projects.schedule`), one SELECT of those still
  scanning, two INSERTs (audits, runs); the tasks are sent after commit.
- `arm_unscheduled`: projects given a schedule by a path that skips Project.save() (bulk
  create, queryset update, SQL) have no due time; each pass arms them in one UPDATE.
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

from django.conf import settings
from django.db import transaction
from django.db.models import Case, DateTimeField, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from projects import schedule
from projects.models import Audit, Project
from rescans.models import RescanRun
from rescans.services import QUEUE_UNAVAILABLE, max_scan_seconds, project_rescan_request, queued_run
from trail import bulk as trail_bulk

logger = logging.getLogger(__name__)


def dispatch_batch() -> int:
    return int(settings.SCAN_DISPATCH_BATCH)


def _set_due_times(due_times: dict[int, dt.datetime | None], *, unarmed_only: bool = False) -> None:
    """One UPDATE giving each project its own due time."""
    if not due_times:
        return

    def at(value: dt.datetime | None) -> Cast:
        return Cast(Value(value), output_field=DateTimeField())  # typed even when all are NULL

    whens = [When(pk=pk, then=at(value)) for pk, value in due_times.items()]
    rows = Project.objects.filter(pk__in=list(due_times))
    if unarmed_only:
        rows = rows.filter(next_scan_at__isnull=True)
    rows.update(next_scan_at=Case(*whens, default=at(None)))


def arm_unscheduled(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    """Give a due time to active projects that have a schedule and none (two queries)."""
    now = now or timezone.now()
    limit = limit or dispatch_batch()
    candidates = (
        Project.objects.filter(is_active=True, next_scan_at__isnull=True)
        .exclude(scan_schedule="")
        .order_by("pk")
        .values_list("pk", "scan_schedule")
    )
    due_times: dict[int, dt.datetime | None] = {}
    for pk, expression in candidates.iterator():
        try:
            due_times[pk] = schedule.next_due(expression, now, key=pk)
        except schedule.ScheduleError:
            continue  # stays off; Project.save() refuses it, the dispatcher logged it
        if len(due_times) >= limit:
            break
    # Only rows still without a due time: one saved in between keeps what save() gave it.
    _set_due_times(due_times, unarmed_only=True)
    return list(due_times)


def _following(pk: int, expression: str, now: dt.datetime) -> dt.datetime | None:
    try:
        return schedule.next_due(expression, now, key=pk, dispatched=True)
    except schedule.ScheduleError as exc:
        logger.warning("project %s: bad re-scan schedule, turned off: %s", pk, exc)
        return None


def dispatch_due(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    """Queue a re-scan of each due project (at most `limit`); returns the ids claimed."""
    now = now or timezone.now()
    limit = limit or dispatch_batch()
    arm_unscheduled(now=now, limit=limit)
    with transaction.atomic():
        # Served by the partial index project_scan_due_idx (active projects with a due time).
        due = list(
            Project.objects.select_for_update(skip_locked=True)
            .filter(is_active=True, next_scan_at__isnull=False, next_scan_at__lte=now)
            .order_by("next_scan_at")
            .values_list("pk", "next_scan_at", "scan_schedule")[:limit]
        )
        if not due:
            return []
        claimed = {pk: due_at for pk, due_at, _expression in due if due_at is not None}
        following = {pk: _following(pk, expression, now) for pk, _due_at, expression in due}
        _set_due_times(following)
        running = set(
            Audit.objects.filter(
                project_id__in=list(claimed), kind=Audit.Kind.AUTOMATED, status=Audit.Status.IN_PROGRESS
            ).values_list("project_id", flat=True)
        )
        for pk in sorted(running):
            logger.info("project %s: re-scan due but one is still running; skipped", pk)
        pairs = [
            queued_run(project_id=pk, now=now, reason=RescanRun.Reason.SCHEDULE)
            for pk in claimed
            if pk not in running
        ]
        audits = Audit.objects.bulk_create([audit for audit, _run in pairs])
        for audit, run in pairs:
            run.audit = audit
        RescanRun.objects.bulk_create([run for _audit, run in pairs])
        # The trail's "created" entries, as a manual re-scan's audit gets: one query for the
        # projects' names (an audit's text), one INSERT.
        projects = Project.objects.only("name").in_bulk([audit.project_id for audit in audits])
        for audit in audits:
            audit.project = projects[audit.project_id]
        trail_bulk.log_created(audits)
        queued = [(audit.pk, audit.project_id) for audit in audits]
    if transaction.get_connection().in_atomic_block:
        # Called inside the caller's transaction: send once it commits, as a request does.
        transaction.on_commit(lambda: _send(queued, claimed))
        return list(claimed)
    given_back = _send(queued, claimed)
    return [pk for pk in claimed if pk not in given_back]


def _send(queued: list[tuple[int, int]], claimed: dict[int, dt.datetime]) -> set[int]:
    """Send the re-scan tasks (after commit). If the broker fails, the audits not sent are
    closed as failed and their projects' claims given back (due again next pass); returns
    those projects."""
    from rescans.tasks import rescan

    for index, (audit_id, _project_id) in enumerate(queued):
        try:
            rescan.delay(audit_id)
        except BrokerUnavailable:
            unsent = queued[index:]
            break
    else:
        return set()
    logger.warning("broker unavailable: %s re-scan(s) not queued; will retry next minute", len(unsent))
    audit_ids = [audit_id for audit_id, _project_id in unsent]
    with transaction.atomic():
        Audit.objects.filter(pk__in=audit_ids, status=Audit.Status.IN_PROGRESS).update(
            status=Audit.Status.FAILED,
            finished_at=timezone.now(),
            summary=f"Re-scan failed: {QUEUE_UNAVAILABLE}",
        )
        RescanRun.objects.filter(pk__in=audit_ids).update(
            state=RescanRun.State.FAILED, outcome=RescanRun.Outcome.FAILED, error=QUEUE_UNAVAILABLE
        )
        _set_due_times({project_id: claimed[project_id] for _audit_id, project_id in unsent})
    return {project_id for _audit_id, project_id in unsent}


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
