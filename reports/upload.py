"""The admin's report upload for one user: the preview (a dry run of `report_import` with the
user's rights checked), its summary as plain data (the page shows it, a job stores it), and the
upload job that previews and imports a large report in a worker (projects/upload_jobs.py).

A report of at most REPORT_BACKGROUND_BYTES is previewed inside the request and waits for its
confirmation in the staging (reports/admin_views.py); a larger one is an upload job: the same
`report_run`, called by the task reports.run_report_job, first as a dry run, then, once its
uploader confirms, for real.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models

from projects import access
from projects.job_models import UploadJob
from projects.upload_jobs import JobOutcome, JobProgress, job_confirm, job_create, job_enqueue, job_run
from reports.errors import ReportError
from reports.parser import SEVERITY_LABELS
from reports.services import ReportImportResult, report_import

Requester = User | AnonymousUser
KIND = UploadJob.Kind.REPORT


def _check_target(user: Requester, result: ReportImportResult) -> None:
    """The user may import only into projects they see, and create one only with the right."""
    target = result.project
    if target.pk is None:
        if not user.has_perm("projects.add_project"):
            raise ReportError(
                f"The report is about the project '{target.name}', which does not "
                "exist, and you may not create projects."
            )
    elif not access.can_see_project(user, target):
        raise ReportError(
            "The report names a project you do not have access to; choose one of your projects."
        )


def report_run(
    user: Requester,
    *,
    content: bytes,
    file_name: str,
    project_id: int | None,
    create_project: bool,
    dry_run: bool,
) -> ReportImportResult:
    """Preview (dry run) or import a report for `user`; ReportError names what is refused."""
    project = None
    if project_id is not None:
        project = access.visible_projects(user).filter(pk=project_id).first()
        if project is None:
            raise ReportError("The chosen project does not exist or you do not have access to it.")
    preview = report_import(
        content=content,
        file_name=file_name,
        project=project,
        create_project=create_project,
        user=user,
        dry_run=True,
    )
    _check_target(user, preview)
    if dry_run:
        return preview
    return report_import(
        content=content,
        file_name=file_name,
        project=project,
        create_project=create_project,
        user=user,
        dry_run=False,
    )


def _text(value: object) -> str:
    return "" if value is None else str(value)


def preview_summary(result: ReportImportResult) -> dict[str, Any]:
    """What the preview page shows, as plain data (stored on a job, rendered the same way)."""
    parsed = result.parsed
    audit = result.audit
    assert audit is not None  # a dry run's result holds the previewed (or the duplicate) audit
    # Metric names are Audit columns, never relations.
    metrics = [
        [str(cast("models.Field[Any, Any]", audit._meta.get_field(name)).verbose_name), _text(value)]
        for name, value in parsed.metrics.items()
    ]
    metrics += [[name.replace("_", " "), _text(value)] for name, value in parsed.extra_metrics.items()]
    return {
        "file_name": result.file_name,
        "duplicate_of": result.duplicate_of.pk if result.duplicate_of is not None else None,
        "project_name": result.project.name,
        "project_created": result.project_created,
        "project_rule": parsed.project_rule,
        "stated_project": parsed.project_name,
        "verdict_found": parsed.verdict != "unknown",
        "verdict": audit.get_stated_verdict_display(),
        "verdict_text": parsed.verdict_text,
        "title": parsed.title,
        "audit_date": parsed.audit_date.isoformat() if parsed.audit_date else "",
        "version": parsed.version,
        "stated_global": _text(parsed.stated_global),
        "summary": parsed.summary,
        "mapped_scores": len(parsed.scores),
        "stated_scores": [
            {
                "label": s.label,
                "raw": s.raw,
                "score": _text(s.score),
                "before": _text(s.before),
                "domain": s.domain_name if s.domain_id else "",
            }
            for s in parsed.stated_scores
        ],
        "metrics": metrics,
        "checklists": [{"title": c.title, "items": len(c.items)} for c in parsed.checklists],
        "checklist_items": parsed.checklist_item_count,
        "findings": [
            {
                "severity": SEVERITY_LABELS[f.severity],
                "title": f.title,
                "status": f.status,
                "location": f"{f.file_path}:{f.line}" if f.line else f.file_path,
            }
            for f in parsed.findings
        ],
        "notes": list(parsed.notes),
        "warnings": list(parsed.warnings),
    }


def outcome_summary(result: ReportImportResult) -> dict[str, Any]:
    """What an import did: the audit it created (or the duplicate it found) and its messages."""
    audit = result.audit
    assert audit is not None  # the new audit, or the duplicate
    return {
        "audit": audit.pk,
        "audit_title": audit.title,
        "project_name": result.project.name,
        "duplicate": result.duplicate_of is not None,
        "messages": list(result.messages),
    }


# --- the upload job of a large report ------------------------------------------------------


def report_needs_worker(size: int) -> bool:
    limit: int = settings.REPORT_BACKGROUND_BYTES
    return size > limit


def report_job_start(
    *, user: Requester, content: bytes, file_name: str, project_id: int | None, create_project: bool
) -> UploadJob:
    """Record a large report's preview job and send it to a worker (JobQueueUnavailable when the
    queue refuses: nothing is left)."""
    from reports.tasks import run_report_job

    job = job_create(
        kind=KIND,
        user=user,
        content=content,
        file_name=file_name,
        options={"project_id": project_id, "create_project": create_project},
    )
    return job_enqueue(job, run_report_job)


def report_job_confirm(job: UploadJob, *, user: Requester) -> UploadJob:
    from reports.tasks import run_report_job

    return job_confirm(job, user=user, task=run_report_job)


def report_job_run(job_id: int) -> str | None:
    """Run the job's step (the worker's side). Idempotent: a claimed or finished job is left
    alone (None)."""
    return job_run(job_id, _report_step, refused=(ReportError,))


def _report_step(job: UploadJob, content: bytes, progress: JobProgress) -> JobOutcome:
    preview = job.step == UploadJob.Step.PREVIEW
    result = report_run(
        job.user if job.user is not None else AnonymousUser(),
        content=content,
        file_name=job.file_name,
        project_id=job.options.get("project_id"),
        create_project=bool(job.options.get("create_project")),
        dry_run=preview,
    )
    if not preview:
        return JobOutcome(result={**job.result, "outcome": outcome_summary(result)})
    summary = preview_summary(result)
    # A duplicate cannot be confirmed: importing it again changes nothing.
    summary["has_errors"] = summary["duplicate_of"] is not None
    return JobOutcome(result=summary, keep_file=not summary["has_errors"])
