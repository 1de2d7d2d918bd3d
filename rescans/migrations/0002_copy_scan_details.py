"""Copy each automated audit's scan_details into its RescanRun, and every audit's "not_measured"
into Audit.unmeasured_domains, before projects 0011 drops scan_details. Migrating back rebuilds
scan_details from the same columns."""

import datetime as dt

from django.db import migrations

BATCH = 500
STATES = {"queued", "running", "completed", "failed"}
OUTCOMES_BY_STATE = {
    "queued": ("",),
    "running": ("",),
    "completed": ("scanned", "no_change"),
    "failed": ("failed", "abandoned"),
}
REASONS = {"manual", "page", "admin", "command", "schedule", "retry"}


def _when(value):
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _state(details, audit):
    state = details.get("state")
    if state in STATES:
        return state
    if audit.status == "in_progress":
        return "running" if audit.started_at else "queued"
    return "failed" if audit.status == "failed" else "completed"


def _outcome(details, state):
    allowed = OUTCOMES_BY_STATE[state]
    outcome = details.get("outcome") or ""
    return outcome if outcome in allowed else allowed[0]


def copy_forward(apps, schema_editor):
    Audit = apps.get_model("projects", "Audit")
    RescanRun = apps.get_model("rescans", "RescanRun")
    audit_ids = set(Audit.objects.values_list("pk", flat=True))
    runs = []
    for audit in Audit.objects.filter(kind="automated").order_by("pk").iterator(chunk_size=BATCH):
        details = audit.scan_details or {}
        state = _state(details, audit)
        same_as = details.get("same_as_audit")
        reason = details.get("reason") or "manual"
        runs.append(
            RescanRun(
                audit_id=audit.pk,
                state=state,
                reason=reason if reason in REASONS else "manual",
                force=bool(details.get("force")),
                requested_at=_when(details.get("requested_at")),
                requested_by=str(details.get("requested_by") or "")[:150],
                config_hash=str(details.get("config_hash") or "")[:64],
                outcome=_outcome(details, state),
                error=str(details.get("error") or ""),
                same_as_id=same_as if same_as in audit_ids else None,
                parts=details.get("parts") or {},
                missing=details.get("missing") or [],
                duration_s=details.get("duration_s"),
                change=details.get("change") or {},
                regression_notified_at=_when(details.get("regression_notified_at")),
            )
        )
        if len(runs) >= BATCH:
            RescanRun.objects.bulk_create(runs)
            runs = []
    RescanRun.objects.bulk_create(runs)
    for pk, details in Audit.objects.exclude(scan_details={}).values_list("pk", "scan_details").iterator():
        not_measured = (details or {}).get("not_measured")
        if not_measured:
            Audit.objects.filter(pk=pk).update(unmeasured_domains=not_measured)


def copy_back(apps, schema_editor):
    Audit = apps.get_model("projects", "Audit")
    RescanRun = apps.get_model("rescans", "RescanRun")
    for run in RescanRun.objects.select_related("audit").iterator(chunk_size=BATCH):
        audit = run.audit
        details = {
            "state": run.state,
            "reason": run.reason,
            "force": run.force,
            "requested_at": run.requested_at.isoformat() if run.requested_at else "",
            "requested_by": run.requested_by,
        }
        if run.config_hash:
            details["config_hash"] = run.config_hash
        if run.outcome:
            details["outcome"] = run.outcome
        if run.error:
            details["error"] = run.error
        if run.outcome in ("scanned", "no_change"):
            details["commit"] = audit.commit_sha
            details["parts"] = run.parts
            details["missing"] = run.missing
            details["not_measured"] = audit.unmeasured_domains or {}
        if run.same_as_id:
            details["same_as_audit"] = run.same_as_id
        if run.duration_s is not None:
            details["duration_s"] = run.duration_s
        if run.change:
            details["change"] = run.change
        if run.regression_notified_at:
            details["regression_notified_at"] = run.regression_notified_at.isoformat()
        Audit.objects.filter(pk=audit.pk).update(scan_details=details)
    for audit in Audit.objects.exclude(unmeasured_domains={}).exclude(kind="automated").iterator():
        Audit.objects.filter(pk=audit.pk).update(
            scan_details={**(audit.scan_details or {}), "not_measured": audit.unmeasured_domains}
        )
    # Back to the state before the copy, so that migrating forward again copies afresh.
    RescanRun.objects.all().delete()
    Audit.objects.exclude(unmeasured_domains={}).update(unmeasured_domains={})


class Migration(migrations.Migration):
    dependencies = [
        ("rescans", "0001_initial"),
        ("projects", "0010_audit_unmeasured_domains"),
    ]
    run_before = [
        ("projects", "0011_remove_audit_scan_details"),
    ]

    operations = [migrations.RunPython(copy_forward, copy_back)]
