from celery import shared_task
from django.utils import timezone

from projects.models import Heartbeat


@shared_task(name="projects.heartbeat")
def heartbeat(name: str = "beat") -> str:
    """Sent by beat every minute and run by a worker: proves both are alive end to end."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now})
    return now.isoformat()


# --- Re-scans (projects/scanning) ---------------------------------------------------------------
# acks_late + reject_on_worker_lost: a worker killed mid-scan puts the message back; the run
# itself is claimed once (conditional UPDATE), so a redelivery never scans twice, and the sweep
# marks the abandoned run failed and retries it.

@shared_task(name="projects.rescan", acks_late=True, reject_on_worker_lost=True)
def rescan(audit_id: int) -> int | None:
    from projects.scanning.service import audit_rescan_run

    audit = audit_rescan_run(audit_id=audit_id)
    return audit.pk if audit is not None else None


@shared_task(name="projects.rescan_dispatch", acks_late=True)
def rescan_dispatch() -> dict:
    """Run by beat every minute: queue due projects, sweep abandoned runs."""
    from projects.scanning.dispatcher import dispatch_due, sweep_abandoned

    return {"dispatched": dispatch_due(), "swept": sweep_abandoned()}


# --- Scores (projects/scoring) ------------------------------------------------------------------

@shared_task(name="projects.recompute_global_scores")
def recompute_global_scores(domain_id: int) -> int:
    """A domain's weight changed (admin): every audit's global score and the latest verdicts."""
    from projects import scoring

    return scoring.global_scores_refresh_all(reason_domain_id=domain_id)
