"""Large uploads previewed and imported by a worker, with progress (UploadJob).

The pattern of the scan import's background ImportRun, for every other upload: the file waits in
the shared staging (projects.staging) under a key kept on the row; the row is created queued and
the task sent at once, so a broker that refuses it is known while the user waits (the row and
the file are then removed: nothing is left half-done); a worker claims the row with one
conditional UPDATE (queued -> running), so a redelivered task does nothing; the row ends done
(with the preview or the import's outcome) or failed (with the reason, the database as it was).
The same row goes through the preview, then, once its uploader confirms, the import.

Progress (rows done / total) is written through a connection of its own on PostgreSQL, so the
page polling the job sees it while the import's transaction is still open; elsewhere (SQLite
allows one writer) it shows when the step ends.

Apps above (findings, reports) bring the work: a task whose body is `job_run(job_id, step)`,
where `step(job, content, progress)` does the job's current step and returns a `JobOutcome`.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Q
from django.utils import timezone

from projects import access, staging
from projects.job_models import UploadJob

logger = logging.getLogger(__name__)

QUEUE_UNAVAILABLE = (
    "This file is large, so it is {what} in the background, but the task queue is not answering: "
    "nothing was {done}. Please try again when the queue is back."
)
# Seconds between two progress writes of a running step.
PROGRESS_EVERY = 0.5


class JobQueueUnavailable(Exception):
    """The task queue refused the job's task; nothing was recorded (or the preview stays)."""


class JobError(Exception):
    """The job cannot do what was asked (confirmed twice, preview with errors...)."""


@dataclass
class JobOutcome:
    """What a step returns: its result (the preview, or what the import did); with `error` the
    step failed (nothing was written); `keep_file` keeps the file for a confirmation."""

    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    keep_file: bool = False


class _Task(Protocol):
    def delay(self, *args: Any, **kwargs: Any) -> Any: ...


def _send(task: _Task, job: UploadJob) -> None:
    from kombu.exceptions import OperationalError

    # Sent at once (not on commit): a refused message must be known while the user waits.
    try:
        task.delay(job.pk)
    except OperationalError as exc:
        step = UploadJob.Step(job.step)
        what, done = ("checked", "checked") if step == UploadJob.Step.PREVIEW else ("imported", "imported")
        raise JobQueueUnavailable(QUEUE_UNAVAILABLE.format(what=what, done=done)) from exc


def job_create(
    *,
    kind: str,
    user: Any,
    content: bytes,
    file_name: str,
    options: dict[str, Any] | None = None,
    project: Any = None,
    total: int | None = None,
) -> UploadJob:
    """A queued preview job holding `content` in the staging (not sent to a worker yet)."""
    return UploadJob.objects.create(
        kind=kind,
        user=user if getattr(user, "pk", None) else None,
        project=project,
        file_name=file_name[:255],
        options=options or {},
        staged_key=staging.park(content),
        total=total,
    )


def job_enqueue(job: UploadJob, task: _Task) -> UploadJob:
    """Send a new job's preview to a worker; on a refusal the row and the file are removed."""
    try:
        _send(task, job)
    except JobQueueUnavailable:
        UploadJob.objects.filter(pk=job.pk).delete()
        staging.discard(job.staged_key)
        raise
    return job


def job_confirm(job: UploadJob, *, user: Any, task: _Task | None) -> UploadJob:
    """The uploader confirms a finished preview: the job's import is queued (sent to `task`), or,
    with no task, claimed for the caller to run at once. Raises JobError when the preview is
    not confirmable (not finished, failed, has errors, already confirmed)."""
    if job.user_id != getattr(user, "pk", None):
        raise JobError("Only the person who uploaded this file may confirm its import.")
    if job.result.get("has_errors"):
        raise JobError(
            "The preview found errors: nothing can be imported. Correct the file and upload it again."
        )
    claimed = UploadJob.objects.filter(
        pk=job.pk, step=UploadJob.Step.PREVIEW, state=UploadJob.State.DONE
    ).exclude(staged_key="")
    preview = job.result
    if not claimed.update(
        step=UploadJob.Step.IMPORT,
        state=UploadJob.State.QUEUED,
        processed=0,
        finished_at=None,
        updated_at=timezone.now(),
    ):
        raise JobError("This upload was already confirmed, or its preview is not finished.")
    job.refresh_from_db()
    if task is None:
        return job
    try:
        _send(task, job)
    except JobQueueUnavailable:
        UploadJob.objects.filter(pk=job.pk).update(
            step=UploadJob.Step.PREVIEW,
            state=UploadJob.State.DONE,
            result=preview,
            finished_at=timezone.now(),
        )
        raise
    return job


def job_claim(job_id: int) -> UploadJob | None:
    """The worker's claim of a queued job (queued -> running); None when another process has it
    or it is finished (a redelivered task then does nothing)."""
    job = UploadJob.objects.select_related("user", "project").filter(pk=job_id).first()
    if job is None or job.state != UploadJob.State.QUEUED:
        return None
    claimed = UploadJob.objects.filter(pk=job.pk, state=UploadJob.State.QUEUED, step=job.step).update(
        state=UploadJob.State.RUNNING, processed=0, updated_at=timezone.now()
    )
    if not claimed:
        return None
    job.state, job.processed = UploadJob.State.RUNNING, 0
    return job


def job_run(
    job_id: int,
    step: Callable[[UploadJob, bytes, JobProgress], JobOutcome],
    *,
    refused: tuple[type[Exception], ...] = (),
) -> str | None:
    """A task's body: claim the job, read its file, run `step` and record how it ended. An
    exception of `refused` (bad input) fails the job with its message; any other fails it with
    its type, logged. Returns the job's state, or None when it was not claimable (a redelivered
    task, another worker's job)."""
    job = job_claim(job_id)
    if job is None:
        return None
    try:
        content = staging.read_parked(job.staged_key)
        with JobProgress(job, total=job.total) as progress:
            outcome = step(job, content, progress)
    except (staging.StagingError, *refused) as exc:
        job_fail(job, str(exc))
        return job.state
    except Exception as exc:  # noqa: BLE001 - whatever stopped it, the job ends failed (nothing written)
        logger.warning("upload job %s failed", job.pk, exc_info=True)
        job_fail(job, f"The {job.get_step_display().lower()} failed: {type(exc).__name__}: {exc}")
        return job.state
    if outcome.error:
        job_fail(job, outcome.error, result=outcome.result)
    else:
        job_finish(job, result=outcome.result, keep_file=outcome.keep_file)
    return job.state


def job_finish(job: UploadJob, *, result: dict[str, Any], keep_file: bool = False) -> None:
    """The step ended: its preview or outcome is stored. The file stays only for a preview that
    may still be confirmed."""
    if not keep_file:
        staging.discard(job.staged_key)
        job.staged_key = ""
    job.state, job.result, job.finished_at = UploadJob.State.DONE, result, timezone.now()
    if job.total is not None:
        job.processed = job.total
    job.save(update_fields=["state", "result", "finished_at", "processed", "staged_key", "updated_at"])


def job_fail(job: UploadJob, message: str, *, result: dict[str, Any] | None = None) -> None:
    """The step failed: the reason is stored, the file removed; nothing of the step was written
    (each step writes in one transaction)."""
    staging.discard(job.staged_key)
    UploadJob.objects.filter(pk=job.pk).update(
        state=UploadJob.State.FAILED,
        error_message=message[:2000],
        result=result if result is not None else job.result,
        processed=0,
        staged_key="",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    job.state, job.error_message, job.staged_key = UploadJob.State.FAILED, message[:2000], ""


def _abandoned_limits() -> dict[str, int]:
    """Seconds without a change after which a job of each state is abandoned: running without
    progress for IMPORT_ABANDONED_AFTER_SECONDS (its worker died), or queued while no worker took
    it for as long as its file is kept."""
    return {
        UploadJob.State.RUNNING: settings.IMPORT_ABANDONED_AFTER_SECONDS,
        UploadJob.State.QUEUED: staging.STAGING_MAX_AGE,
    }


ABANDONED_MESSAGE = (
    'Abandoned: no worker finished this job in time (is a worker consuming the "default" '
    "queue?); nothing was written. Please upload the file again."
)


def job_fail_if_abandoned(job: UploadJob) -> UploadJob:
    """A job whose worker died, or that no worker took while its file was kept, is failed when
    someone looks at it (and by the periodic sweep, `sweep_abandoned_jobs`)."""
    now = timezone.now()
    limit = _abandoned_limits().get(UploadJob.State(job.state))
    if limit is None or job.updated_at > now - datetime.timedelta(seconds=limit):
        return job
    stale = UploadJob.objects.filter(pk=job.pk, state=job.state, updated_at=job.updated_at)
    if stale.exists():
        job_fail(job, ABANDONED_MESSAGE)
    job.refresh_from_db()
    return job


def sweep_abandoned_jobs() -> int:
    """Fails every abandoned job, whether or not anyone looks at it; returns how many. Each goes
    through `job_fail_if_abandoned`, so a job that moved since it was read is left alone."""
    now = timezone.now()
    stuck = Q()
    for state, limit in _abandoned_limits().items():
        stuck |= Q(state=state, updated_at__lte=now - datetime.timedelta(seconds=limit))
    failed = 0
    for job in UploadJob.objects.filter(stuck).order_by("pk").iterator():
        if job_fail_if_abandoned(job).state == UploadJob.State.FAILED:
            failed += 1
    return failed


def job_visible(user: Any, job: UploadJob) -> bool:
    """A job shows its uploader's file: its uploader and admins see it (and only while they see
    its project, when it has one)."""
    if not (user.is_superuser or (job.user_id is not None and job.user_id == user.pk)):
        return False
    return job.project is None or access.can_see_project(user, job.project)


def job_state(job: UploadJob) -> dict[str, Any]:
    """What the polling page reads."""
    return {
        "id": job.pk,
        "step": job.step,
        "state": job.state,
        "processed": job.processed,
        "total": job.total,
        "finished": job.finished,
        "error": job.error_message,
    }


class JobProgress:
    """Writes a running step's progress at most every PROGRESS_EVERY seconds, through a
    connection of its own while the step's transaction is open (PostgreSQL), so the polling
    page sees it. Use as a context manager; call `row(number)` after each row."""

    def __init__(self, job: UploadJob, *, total: int | None) -> None:
        self.job = job
        self.total = total
        self.last = time.monotonic()
        self.side: Any = None
        self.start(total)

    def start(self, total: int | None) -> None:
        """The step's number of rows, once known."""
        self.total = total
        if total is not None and total != self.job.total:
            UploadJob.objects.filter(pk=self.job.pk).update(total=total, processed=0)
            self.job.total = total

    def __enter__(self) -> JobProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None

    def row(self, number: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY:
            return
        self.last = now
        processed = min(number, self.total) if self.total is not None else number
        try:
            self._write(processed)
        except Exception:  # noqa: BLE001 - progress is a courtesy; the import goes on without it
            logger.warning("upload job %s: progress not written", self.job.pk, exc_info=True)

    def _write(self, processed: int) -> None:
        sql = "UPDATE projects_uploadjob SET processed = %s, updated_at = %s WHERE id = %s"
        params = [processed, timezone.now(), self.job.pk]
        if not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            return
        if connection.vendor != "postgresql":
            return  # one writer at a time: the progress shows when the step ends
        if self.side is None:
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        with self.side.cursor() as cursor:
            cursor.execute(sql, params)
