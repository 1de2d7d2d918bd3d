"""Links of the evidence entries of a score: to the finding, checklist or exception in the admin,
and to the audit's metrics."""

from __future__ import annotations

from django.urls import reverse

from projects.models import Audit
from scoring.evidence import Evidence


def finding_url(finding_id: int) -> str:
    return reverse("admin:findings_finding_change", args=[finding_id])


def checklist_url(checklist_id: int) -> str:
    return reverse("admin:checklists_checklist_change", args=[checklist_id])


def audit_url(audit: Audit) -> str:
    return reverse("audit-detail", args=[audit.pk])


def exception_url(exception_id: int) -> str:
    return reverse("admin:governance_policyexception_change", args=[exception_id])


def linked(audit: Audit, entry: Evidence) -> dict:
    url = ""
    if entry.ref is not None:
        kind, pk = entry.ref
        if kind == "finding":
            url = finding_url(pk)
        elif kind == "checklist":
            url = checklist_url(pk)
        elif kind == "metrics":
            url = audit_url(audit) + "#metrics"
    out = {"kind": entry.kind, "label": entry.label, "url": url, "effect": entry.effect}
    if entry.value:
        out["value"] = entry.value
    return out
