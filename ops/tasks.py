from celery import shared_task
from django.utils import timezone

from ops.models import Heartbeat


@shared_task(name="projects.heartbeat")
def heartbeat(name: str = "beat") -> str:
    """Sent by beat every minute and run by a worker: proves both are alive end to end."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now})
    return now.isoformat()


@shared_task(name="projects.sweep_abandoned_upload_jobs")
def sweep_abandoned_upload_jobs() -> int:
    """Fails the upload jobs whose worker died or that no worker took (nobody need look at them)."""
    from projects.upload_jobs import sweep_abandoned_jobs

    return sweep_abandoned_jobs()
