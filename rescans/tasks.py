"""Re-scan tasks. Their names keep the "projects." prefix they were scheduled under.

acks_late + reject_on_worker_lost: a worker killed mid-scan puts the message back; the run
itself is claimed once (conditional UPDATE), so a redelivery never scans twice, and the sweep
marks the abandoned run failed and retries it.
"""

from celery import shared_task


@shared_task(name="projects.rescan", acks_late=True, reject_on_worker_lost=True)  # type: ignore[untyped-decorator, unused-ignore]
def rescan(audit_id: int) -> int | None:
    from rescans import workspace
    from rescans.services import audit_rescan_run

    audit = audit_rescan_run(audit_id=audit_id)
    workspace.prune_checkouts_now_and_then()  # this worker's kept clones of forgotten projects
    return audit.pk if audit is not None else None


@shared_task(name="projects.rescan_dispatch", acks_late=True)  # type: ignore[untyped-decorator, unused-ignore]
def rescan_dispatch() -> dict[str, list[int]]:
    """Run by beat every minute: queue due projects, sweep abandoned runs."""
    from rescans.dispatcher import dispatch_due, sweep_abandoned

    return {"dispatched": dispatch_due(), "swept": sweep_abandoned()}
