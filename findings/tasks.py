from celery import shared_task

from findings.services import scan_queue


@shared_task(name="findings.sweep_abandoned_imports")
def sweep_abandoned_imports() -> int:
    """Mark failed the scan imports whose process died mid-import (beat, every 5 minutes)."""
    return scan_queue.import_runs_sweep_abandoned()


@shared_task(name="findings.import_scan_report", acks_late=True)
def import_scan_report(run_id: int, key: str) -> str | None:
    """Import a large scanner report confirmed in the admin (queued by scan_import_enqueue)."""
    run = scan_queue.scan_import_run_queued(run_id=run_id, key=key)
    return None if run is None else run.status


@shared_task(name="findings.run_triage_job", acks_late=True)
def run_triage_job(job_id: int) -> str | None:
    """Preview or import a large findings triage sheet (an upload job, findings/triage_jobs.py)."""
    from findings.triage_jobs import triage_job_run

    return triage_job_run(job_id)


@shared_task(name="findings.run_scan_preview_job", acks_late=True)
def run_scan_preview_job(job_id: int) -> str | None:
    """Preview a large scan report uploaded in the admin (an upload job, findings/scan_preview_jobs.py)."""
    from findings.scan_preview_jobs import scan_preview_job_run

    return scan_preview_job_run(job_id)
