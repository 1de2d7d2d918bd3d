"""Findings stated in an imported Markdown audit report, written with the status rules of scanner
imports."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from findings import hooks, sla
from findings.importers.base import clean_text
from findings.models import Finding
from findings.services.scan_writes import ACTIVE, BATCH_SIZE, CLOSED_BY_HUMAN, FIXED, OPEN
from projects.events import announce_evidence_changed
from projects.models import Audit


@dataclass
class StatedFinding:
    """A finding as a hand-written report states it. `fingerprint` is the identity the caller
    gives it (the same finding stated by a later report must get the same one)."""

    title: str
    severity: int
    fingerprint: str
    status: str = "open"
    file_path: str = ""
    line: int | None = None
    description: str = ""


def stated_findings_import(
    *,
    audit: Audit,
    findings: list[StatedFinding],
    tool: str = "report",
    source: str = "",
    user_id: int | None = None,
) -> tuple[int, int]:
    """Record the findings an imported report states, as (created, updated).

    The status rules of scan imports apply: a finding seen again is last seen in this audit; a
    fixed one stated open again is reopened (its SLA clock resumes); one a human closed (accepted
    risk, false positive) keeps that decision; otherwise the report's stated status (fixed, in
    progress, ...) is kept. A report cannot close a finding as accepted risk or false positive
    by saying so: such a finding is recorded open and the statement becomes a claim
    (findings.hooks.after_import) that governance turns into a pending exception. `source` names
    the report in that claim; `user_id` is who imported it.
    """
    now = timezone.now()
    by_fingerprint = {f.fingerprint: f for f in findings}
    existing = {
        f.fingerprint: f
        for f in Finding.objects.filter(project=audit.project, fingerprint__in=list(by_fingerprint))
    }
    to_create, to_update, claims = [], [], []
    sla_days = sla.days_by_severity(audit.project)
    for fingerprint, stated in by_fingerprint.items():
        status = str(stated.status)
        if status in CLOSED_BY_HUMAN:
            claims.append(hooks.ClosureClaim(fingerprint, status, hooks.STATED_IN_REPORT, source))
            status = OPEN  # present, and open until someone else approves the exception
        current = existing.get(fingerprint)
        if current is None:
            to_create.append(
                Finding(
                    project=audit.project,
                    first_seen_audit=audit,
                    last_seen_audit=audit,
                    title=clean_text(stated.title)[:500],
                    description=clean_text(stated.description),
                    severity=stated.severity,
                    status=status,
                    status_changed_at=now,
                    tool=tool,
                    file_path=clean_text(stated.file_path)[:1000],
                    line=stated.line,
                    fingerprint=fingerprint,
                    first_seen_at=now,
                    last_seen_at=now,
                    fixed_at=now if status == FIXED else None,
                    sla_due_at=sla.due_at(now, stated.severity, sla_days),
                )
            )
            if status == FIXED:
                to_create[-1].fixed_within_sla = sla.fixed_within(to_create[-1].sla_due_at, now)
            continue
        current.last_seen_audit, current.last_seen_at = audit, now
        if str(current.status) not in CLOSED_BY_HUMAN and str(current.status) != status:
            if str(current.status) == FIXED and status in ACTIVE:
                sla.resume(current, now)
                current.reopened_at, current.fixed_at, current.fixed_within_sla = now, None, None
            elif status == FIXED:
                current.fixed_at = now
                current.fixed_within_sla = sla.fixed_within(current.sla_due_at, now)
            current.status, current.status_changed_at = status, now
        to_update.append(current)
    Finding.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    Finding.objects.bulk_update(
        to_update,
        [
            "last_seen_audit",
            "last_seen_at",
            "status",
            "status_changed_at",
            "fixed_at",
            "reopened_at",
            "fixed_within_sla",
            "sla_due_at",
            "sla_paused",
        ],
        batch_size=BATCH_SIZE,
    )
    hooks.after_import(audit.project_id, claims=claims, user_id=user_id)
    if to_create or to_update:
        announce_evidence_changed(sender=Finding, project_id=audit.project_id)
    return len(to_create), len(to_update)
