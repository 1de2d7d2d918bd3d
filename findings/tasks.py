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
