"""Celery tasks of the reports app."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="reports.run_report_job", acks_late=True)  # type: ignore[untyped-decorator, unused-ignore]
def run_report_job(job_id: int) -> str | None:
    """Preview or import a large Markdown report uploaded in the admin (reports/upload.py)."""
    from reports.upload import report_job_run

    return report_job_run(job_id)
