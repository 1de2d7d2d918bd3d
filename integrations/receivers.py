"""Listens to the signals of the floors below and turns them into webhook and chat events.

"Audit completed" is derived here from Audit saves: a save that moves an audit to completed (or
creates it completed) emits once its transaction commits. Updates made with QuerySet.update()
send no model signal and so no event.
"""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.urls import reverse

from governance.signals import exception_expiring, sla_breached
from integrations import event_types
from integrations.events import emit
from projects.models import Audit
from rescans.signals import regression_found
from scoring.signals import gate_changed, scores_changed

logger = logging.getLogger(__name__)

SEVERITY_WORDS = {0: "info", 1: "low", 2: "medium", 3: "high", 4: "critical"}


def _never_raises(receiver):
    """A failing integration must not break the sender (a recompute, a re-scan, the daily run)."""

    @functools.wraps(receiver)
    def wrapper(*args, **kwargs):
        try:
            receiver(*args, **kwargs)
        except Exception:
            logger.exception("integrations: %s failed", receiver.__name__)

    return wrapper


def link(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _audit_data(audit: Audit) -> dict:
    return {
        "id": audit.pk,
        "title": audit.title,
        "status": audit.status,
        "url": link("audit-detail", audit.pk),
    }


def _project_data(project) -> dict:
    return {"slug": project.slug, "name": project.name, "url": link("project-detail", project.slug)}


def _number(value) -> str:
    return "not measured" if value is None else f"{value:.1f}"


def on_audit_pre_save(sender, instance: Audit, **kwargs) -> None:
    if instance.status != Audit.Status.COMPLETED:
        return
    before = None
    if instance.pk is not None:
        before = Audit.objects.filter(pk=instance.pk).values_list("status", flat=True).first()
    instance._integrations_completed_now = before != Audit.Status.COMPLETED


def on_audit_post_save(sender, instance: Audit, **kwargs) -> None:
    if not getattr(instance, "_integrations_completed_now", False):
        return
    instance._integrations_completed_now = False
    audit_id = instance.pk

    @_never_raises
    def send() -> None:
        audit = Audit.objects.select_related("project").filter(pk=audit_id).first()
        if audit is None or audit.status != Audit.Status.COMPLETED:
            return
        data = {
            "project": _project_data(audit.project),
            "audit": _audit_data(audit),
            "global_score": None if audit.global_score is None else float(audit.global_score),
            "verdict": audit.computed_verdict,
        }
        emit(
            event_types.AUDIT_COMPLETED,
            project=audit.project,
            data=data,
            text=f"Audit completed: {audit.title} (global score {_number(audit.global_score)})",
            url=data["audit"]["url"],
        )

    transaction.on_commit(send)


@_never_raises
def on_scores_changed(sender, project, audit, changes, **kwargs) -> None:
    data = {
        "project": _project_data(project),
        "audit": _audit_data(audit),
        "changes": {key: {"old": old, "new": new} for key, (old, new) in changes.items()},
    }
    summary = ", ".join(f"{key} {_number(old)} → {_number(new)}" for key, (old, new) in changes.items())
    emit(
        event_types.SCORES_CHANGED,
        project=project,
        data=data,
        text=f"Scores changed: {summary}",
        url=data["audit"]["url"],
    )


@_never_raises
def on_gate_changed(sender, project, audit, old, new, **kwargs) -> None:
    data = {"project": _project_data(project), "audit": _audit_data(audit), "old": old, "new": new}
    labels = dict(Audit.Verdict.choices)
    text = f"Gate changed: {labels.get(old, old)} → {labels.get(new, new)}"
    emit(event_types.GATE_CHANGED, project=project, data=data, text=text, url=data["audit"]["url"])


@_never_raises
def on_regression_found(sender, project, audit, run, summary, **kwargs) -> None:
    data = {
        "project": _project_data(project),
        "audit": _audit_data(audit),
        "rescan": run.pk,
        "summary": summary,
    }
    parts = [
        f"{count} {kind} {severity}"
        for kind in ("new", "reopened")
        for severity, count in (summary.get(kind) or {}).items()
    ]
    text = f"Regression found by a re-scan: {', '.join(parts) or 'see the audit'}"
    emit(event_types.REGRESSION_FOUND, project=project, data=data, text=text, url=data["audit"]["url"])


@_never_raises
def on_sla_breached(sender, project, findings, **kwargs) -> None:
    rows = [
        {
            "id": f.pk,
            "title": f.title,
            "severity": SEVERITY_WORDS.get(f.severity, str(f.severity)),
            "sla_due_at": f.sla_due_at,
            "url": link("admin:findings_finding_change", f.pk),
        }
        for f in findings
    ]
    text = f"{len(rows)} finding(s) past their SLA: " + "; ".join(r["title"] for r in rows[:5])
    data = {"project": _project_data(project), "findings": rows}
    emit(event_types.SLA_BREACHED, project=project, data=data, text=text, url=data["project"]["url"])


@_never_raises
def on_exception_expiring(sender, exception, days_left, **kwargs) -> None:
    project = exception.project
    url = link("admin:governance_policyexception_change", exception.pk)
    data = {
        "project": _project_data(project),
        "exception": {"id": exception.pk, "description": str(exception), "url": url},
        "days_left": days_left,
    }
    text = f"Exception expiring in {days_left} day(s): {exception}"
    emit(event_types.EXCEPTION_EXPIRING, project=project, data=data, text=text, url=url)


def connect() -> None:
    uid = "integrations"
    pre_save.connect(on_audit_pre_save, sender=Audit, dispatch_uid=f"{uid}-audit-pre")
    post_save.connect(on_audit_post_save, sender=Audit, dispatch_uid=f"{uid}-audit-post")
    scores_changed.connect(on_scores_changed, dispatch_uid=f"{uid}-scores")
    gate_changed.connect(on_gate_changed, dispatch_uid=f"{uid}-gate")
    regression_found.connect(on_regression_found, dispatch_uid=f"{uid}-regression")
    sla_breached.connect(on_sla_breached, dispatch_uid=f"{uid}-sla")
    exception_expiring.connect(on_exception_expiring, dispatch_uid=f"{uid}-expiring")
