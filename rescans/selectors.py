"""Reads of re-scans: the running one, the previous completed one, what pages show."""

from __future__ import annotations

from typing import Any

from projects.models import Audit
from rescans.models import RescanRun


def running_scan(*, project_id: int) -> Audit | None:
    """The project's queued or running automated audit, if any."""
    return (
        Audit.objects.filter(
            project_id=project_id, kind=Audit.Kind.AUTOMATED, status=Audit.Status.IN_PROGRESS
        )
        .select_related("rescan_run")
        .order_by("-id")
        .first()
    )


def previous_automated_audit(*, project_id: int, before_id: int | None = None) -> Audit | None:
    qs = Audit.objects.filter(
        project_id=project_id, kind=Audit.Kind.AUTOMATED, status=Audit.Status.COMPLETED
    ).select_related("rescan_run")
    if before_id is not None:
        qs = qs.filter(pk__lt=before_id)
    return qs.order_by("-id").first()


def config_hash_of(audit: Audit) -> str:
    return RescanRun.objects.filter(audit=audit).values_list("config_hash", flat=True).first() or ""


def scan_state(*, project_id: int) -> dict[str, Any]:
    """What pages show about re-scans: the running one, and the last automated audit's change."""
    running = running_scan(project_id=project_id)
    last = previous_automated_audit(project_id=project_id)
    return {
        "running": running,
        "state": _run_of(running).state if running else None,
        "last": last,
        "change": _run_of(last).change if last else None,
    }


def _run_of(audit: Audit) -> RescanRun:
    """The audit's run; an automated audit created without one reads as a fresh queued run."""
    try:
        return audit.rescan_run
    except RescanRun.DoesNotExist:
        return RescanRun(audit=audit)
