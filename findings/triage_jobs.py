"""The findings triage sheet (CSV/XLSX/JSON, findings/resources.py) as an upload job: its
preview (a dry run that writes nothing) and, once its uploader confirms, its import, each in
one transaction, with progress by row (projects/upload_jobs.py).

Every triage sheet goes this way: a sheet of at most IMPORT_BACKGROUND_ROWS rows runs inside
the request (the same function, called at once), a larger one in a worker (task
findings.run_triage_job).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from import_export.results import Result, RowResult

from findings.resources import FindingResource
from projects.job_models import UploadJob
from projects.spreadsheets import IMPORT_FORMATS, ImportLimitError
from projects.upload_jobs import JobOutcome, JobProgress, job_confirm, job_create, job_enqueue, job_run

KIND = UploadJob.Kind.FINDINGS_TRIAGE
# Rows of errors and of changes the job's page lists (the counts cover the whole file).
LISTED_ROWS = 50


def _format(title: str):
    for format_class in IMPORT_FORMATS:
        if format_class().get_title() == title:
            return format_class(encoding="utf-8-sig")
    raise ImportLimitError(f"unknown spreadsheet format {title!r}")


def read_sheet(content: bytes, format_title: str):
    """The sheet's rows (a tablib Dataset), within the spreadsheet limits; ImportLimitError or
    the format's own error on a file that is not such a sheet."""
    input_format = _format(format_title)
    data: bytes | str = content if input_format.is_binary() else content.decode("utf-8-sig")
    return input_format.create_dataset(data)


def triage_needs_worker(rows: int) -> bool:
    return rows > settings.IMPORT_BACKGROUND_ROWS


def triage_job_start(*, user: Any, content: bytes, file_name: str, format_title: str, rows: int) -> UploadJob:
    """Record the sheet's preview job; a large sheet is sent to a worker (JobQueueUnavailable
    when the queue refuses it: nothing is left), a small one is previewed at once."""
    from findings.tasks import run_triage_job

    job = job_create(
        kind=KIND,
        user=user,
        content=content,
        file_name=file_name,
        options={"format": format_title},
        total=rows,
    )
    if triage_needs_worker(rows):
        return job_enqueue(job, run_triage_job)
    triage_job_run(job.pk)
    job.refresh_from_db()
    return job


def triage_job_confirm(job: UploadJob, *, user: Any) -> UploadJob:
    """The uploader confirms the preview: the import runs at once for a small sheet, in a worker
    for a large one."""
    from findings.tasks import run_triage_job

    large = triage_needs_worker(job.total or 0)
    job = job_confirm(job, user=user, task=run_triage_job if large else None)
    if not large:
        triage_job_run(job.pk)
        job.refresh_from_db()
    return job


def triage_job_run(job_id: int) -> str | None:
    """Run the job's current step (the worker's side, and the request's for small sheets).
    Idempotent: a job another process claimed, or a finished one, is left alone (None)."""
    return job_run(job_id, _triage_step, refused=(ImportLimitError,))


def _triage_step(job: UploadJob, content: bytes, progress: JobProgress) -> JobOutcome:
    preview = job.step == UploadJob.Step.PREVIEW
    format_title = job.options.get("format", "")
    try:
        dataset = read_sheet(content, format_title)
    except ImportLimitError:
        raise
    except Exception as exc:  # noqa: BLE001 - the format's reader names no single error class
        raise ImportLimitError(f"The file could not be read as {format_title}: {exc}") from exc
    progress.start(len(dataset))
    resource = FindingResource(user=job.user)
    resource.on_row = progress.row
    result = resource.import_data(
        dataset, dry_run=preview, raise_errors=False, file_name=job.file_name, user=job.user
    )
    summary = triage_summary(result)
    if summary["has_errors"]:
        done = "Nothing can be imported" if preview else "Nothing was imported"
        return JobOutcome(
            result=summary, error=f"{done}: {summary['error_rows']} row(s) have errors (listed below)."
        )
    return JobOutcome(result=summary, keep_file=preview)


def triage_summary(result: Result) -> dict[str, Any]:
    """What the job's page shows: counts by outcome, the row errors, the first changed rows."""
    errors: list[dict[str, Any]] = []
    for number, row_errors in result.row_errors():
        errors.append({"row": number, "messages": [str(error.error) for error in row_errors]})
    for invalid in result.invalid_rows:
        messages = []
        for field, field_messages in invalid.error_dict.items():
            prefix = "" if field == "__all__" else f"{field}: "
            messages += [f"{prefix}{message}" for message in field_messages]
        errors.append({"row": invalid.number, "messages": messages})
    errors += [{"row": None, "messages": [str(error.error)]} for error in result.base_errors]
    errors.sort(key=lambda error: error["row"] or 0)
    changes = [
        {"id": row.object_id, "finding": str(row.object_repr or ""), "type": row.import_type}
        for row in result.rows
        if row.import_type in (RowResult.IMPORT_TYPE_UPDATE, RowResult.IMPORT_TYPE_NEW)
    ]
    totals = {str(kind): int(count) for kind, count in result.totals.items()}
    return {
        "totals": totals,
        "changed": totals.get(RowResult.IMPORT_TYPE_UPDATE, 0),
        "skipped": totals.get(RowResult.IMPORT_TYPE_SKIP, 0),
        "has_errors": bool(errors),
        "error_rows": len({error["row"] for error in errors}),
        "errors": errors[:LISTED_ROWS],
        "changes": changes[:LISTED_ROWS],
    }
