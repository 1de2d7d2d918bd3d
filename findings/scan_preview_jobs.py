"""The preview of a large scan report uploaded in the admin, as an upload job
(projects/upload_jobs.py): a worker parses the report and dry-runs its import (about 2 s at
20,000 results, too long for a request); the job's page shows the preview, and its uploader's
confirmation goes the usual way (the import itself, large, is a background ImportRun).

A report larger than IMPORT_BACKGROUND_PREVIEW_BYTES is previewed this way; smaller ones are previewed
inside the request (findings/admin.py), by the same `scan_import(dry_run=True)`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from findings.importers import ScanFormatError
from findings.services.scans import scan_import
from projects import staging
from projects.job_models import UploadJob
from projects.models import Audit, Project
from projects.upload_jobs import (
    JobOutcome,
    JobProgress,
    job_confirm,
    job_create,
    job_enqueue,
    job_fail,
    job_finish,
    job_run,
)

KIND = UploadJob.Kind.SCAN_PREVIEW


def scan_preview_needs_worker(size: int) -> bool:
    return size > settings.IMPORT_BACKGROUND_PREVIEW_BYTES


def scan_preview_job_start(
    *, user: Any, content: bytes, project: Project, audit: Audit | None, format: str, file_name: str
) -> UploadJob:
    """Record the preview job and send it to a worker (JobQueueUnavailable when the queue
    refuses it: nothing is left)."""
    from findings.tasks import run_scan_preview_job

    job = job_create(
        kind=KIND,
        user=user,
        content=content,
        file_name=file_name,
        project=project,
        options={"format": format, "audit": audit.pk if audit else None},
    )
    return job_enqueue(job, run_scan_preview_job)


def scan_preview_job_run(job_id: int) -> str | None:
    """Dry-run the job's report (the worker's side). Idempotent: a claimed or finished job is
    left alone (None)."""
    return job_run(job_id, _scan_preview_step, refused=(ScanFormatError,))


def _scan_preview_step(job: UploadJob, content: bytes, progress: JobProgress) -> JobOutcome:
    if job.project is None:
        return JobOutcome(error="The project of this upload no longer exists.")
    audit = Audit.objects.filter(pk=job.options.get("audit"), project=job.project).first()
    run = scan_import(
        project=job.project,
        content=content,
        file_name=job.file_name,
        format=job.options.get("format", "auto"),
        audit=audit,
        user=job.user,
        dry_run=True,
    )
    counts = {
        "created_count": run.created_count,
        "still_open_count": run.still_open_count,
        "reopened_count": run.reopened_count,
        "resolved_count": run.resolved_count,
        "unchanged_closed_count": run.unchanged_closed_count,
    }
    result = {
        **counts,
        "file_name": run.file_name,
        "format": run.format,
        "tool": run.tool,
        "project": str(job.project),
        "audit": str(audit) if audit else "",
        "metrics": run.metrics,
        "preview": run.preview,
        "results": sum(counts.values()) - run.resolved_count,
    }
    return JobOutcome(result=result, keep_file=True)


def scan_preview_job_take(job: UploadJob, *, user: Any) -> tuple[bytes, Audit | None]:
    """The uploader confirms the preview: the job's file and audit, for the import (which then
    goes the usual way). JobError when the job is not its, not finished or already confirmed;
    StagingError when its file expired."""
    job = job_confirm(job, user=user, task=None)
    try:
        content = staging.read_parked(job.staged_key)
    except staging.StagingError as exc:
        job_fail(job, str(exc))
        raise
    audit = Audit.objects.filter(pk=job.options.get("audit"), project_id=job.project_id).first()
    return content, audit


def scan_preview_job_done(job: UploadJob, *, import_run: int | None, error: str = "") -> None:
    """The confirmation's import was recorded (or refused): the job ends and its file goes."""
    if error:
        job_fail(job, error)
        return
    job_finish(job, result={**job.result, "import_run": import_run})
