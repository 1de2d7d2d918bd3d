"""What recomputes scores: evidence announced by lower apps, and edits made one row at a time.

Services that change many rows (imports, checklist answers) announce `evidence_changed` once per
transaction; admin edits of single rows arrive as model signals.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from checklists.models import ChecklistItem
from findings.models import Finding
from projects.events import evidence_changed, once_after_commit
from projects.models import Audit, DomainScore, MaturityDomain, Project
from scoring.services import (
    enqueue_global_refresh,
    project_recompute,
    schedule_audit_refresh,
    schedule_recompute,
)
from scoring.signals import remember_state
from scoring.trend_rollup import (
    project_trends_forget,
    schedule_trends_refresh,
    schedule_trends_totals_rebuild,
)


def _evidence_changed(sender, project_id: int, **kwargs) -> None:
    # Sent after commit already (once per project and transaction): recompute now.
    project_recompute(project_id=project_id, asked=("evidence", project_id))
    if sender is not ChecklistItem:  # findings imported, triaged, closed or reopened
        schedule_trends_refresh(project_id=project_id)


def _domain_score_changing(sender, instance, raw=False, **kwargs) -> None:
    # The audit's scores before the edit, for the scores_changed signal of the recompute.
    if not raw and instance.audit_id is not None:
        remember_state(audit_id=instance.audit_id)


def _domain_score_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        schedule_audit_refresh(audit_id=instance.audit_id)


def _audit_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw and instance.status == Audit.Status.COMPLETED:
        schedule_audit_refresh(audit_id=instance.pk)


def _finding_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        schedule_recompute(project_id=instance.project_id)
        schedule_trends_refresh(project_id=instance.project_id)


def _domain_changed(sender, instance, raw=False, created=False, **kwargs) -> None:
    if not raw and not created:
        once_after_commit(("domain", instance.pk), lambda: enqueue_global_refresh(instance.pk))


def _project_deleted(sender, instance, **kwargs) -> None:
    # Before the cascade takes the project's trends rows: the portfolio histogram forgets them.
    project_trends_forget(project_id=instance.pk)


def _domain_deleted(sender, instance, **kwargs) -> None:
    schedule_trends_totals_rebuild()


def connect() -> None:
    """Called from ScoringConfig.ready()."""
    evidence_changed.connect(_evidence_changed, dispatch_uid="scoring-evidence")
    pre_save.connect(_domain_score_changing, sender=DomainScore, dispatch_uid="scoring-ds-pre-save")
    pre_delete.connect(_domain_score_changing, sender=DomainScore, dispatch_uid="scoring-ds-pre-del")
    post_save.connect(_domain_score_changed, sender=DomainScore, dispatch_uid="scoring-ds-save")
    post_delete.connect(_domain_score_changed, sender=DomainScore, dispatch_uid="scoring-ds-del")
    post_save.connect(_audit_changed, sender=Audit, dispatch_uid="scoring-audit-save")
    post_save.connect(_domain_changed, sender=MaturityDomain, dispatch_uid="scoring-domain-save")
    post_save.connect(_finding_changed, sender=Finding, dispatch_uid="scoring-finding-save")
    pre_delete.connect(_project_deleted, sender=Project, dispatch_uid="scoring-project-delete")
    post_delete.connect(_domain_deleted, sender=MaturityDomain, dispatch_uid="scoring-domain-delete")
    # No post_delete receiver on Finding: it would turn the cascade delete of a project's
    # findings into one signal per row.
