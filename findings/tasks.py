from celery import shared_task

from findings import services


@shared_task(name="findings.sweep_abandoned_imports")
def sweep_abandoned_imports() -> int:
    """Mark failed the scan imports whose process died mid-import (beat, every 5 minutes)."""
    return services.import_runs_sweep_abandoned()
