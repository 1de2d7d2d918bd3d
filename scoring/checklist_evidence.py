"""The evaluators of the checklist evidence rules (checklists/evidence_rules.py).

Checklists names the rules and records their answers; it sits below the evidence (re-scan
measurements here in scoring, findings), so scoring evaluates them and registers the evaluators
in `ScoringConfig.ready`. Each reads the latest audit of the project that holds the figure it
needs (failed audits left out) and says where the figure came from, or answers None when
there is no such figure or its analyzer could not run.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db.models.signals import post_save

from checklists import evidence_rules, services
from checklists.evidence_rules import RuleContext, RuleVerdict
from checklists.models import ChecklistItem, ReviewState
from findings.models import Finding, Severity
from projects.events import evidence_changed, once_after_commit
from projects.models import Audit
from scoring.models import AuditAnalyzerRun, AuditProfile

logger = logging.getLogger(__name__)

SECRET_SCANNERS = ("secrets", "detect-secrets")


def _audits(project_id: int):
    return (
        Audit.objects.filter(project_id=project_id)
        .exclude(status=Audit.Status.FAILED)
        .order_by("-audit_date", "-id")
    )


def _source(audit: Audit) -> str:
    date = audit.audit_date.isoformat() if audit.audit_date else "undated"
    return f"audit {audit.pk} ({audit.get_kind_display().lower()}, {date})"


def _undecided(why: str) -> RuleVerdict:
    return RuleVerdict(None, why)


def tests_ran_in_ci(context: RuleContext) -> RuleVerdict:
    audit = _audits(context.project_id).filter(tests_passed__isnull=False).first()
    if audit is None:
        return _undecided("No test results (JUnit) recorded for this project.")
    failing = (audit.tests_failed or 0) + (audit.tests_errors or 0)
    ran = (audit.tests_passed or 0) + failing
    values = {
        "passed": audit.tests_passed,
        "failing": failing,
        "skipped": audit.tests_skipped,
        "audit": audit.pk,
    }
    if ran and not failing:
        return RuleVerdict(
            "done", f"{ran} test(s) ran, none failing ({_source(audit)}).", values, _source(audit)
        )
    what = f"{failing} of {ran} test(s) failing" if ran else "no test ran"
    return RuleVerdict("todo", f"JUnit results show {what} ({_source(audit)}).", values, _source(audit))


def coverage_at_least(context: RuleContext) -> RuleVerdict:
    threshold = context.threshold if context.threshold is not None else Decimal("80")
    audit = _audits(context.project_id).filter(coverage_percent__isnull=False).first()
    if audit is None:
        return _undecided("No coverage figure recorded for this project.")
    coverage = audit.coverage_percent
    values = {"coverage_percent": str(coverage), "threshold": str(threshold), "audit": audit.pk}
    met = coverage >= threshold
    sign = "≥" if met else "<"
    summary = f"Line coverage {coverage}% {sign} {threshold}% ({_source(audit)})."
    return RuleVerdict("done" if met else "todo", summary, values, _source(audit))


def no_secret_found(context: RuleContext) -> RuleVerdict:
    run = (
        AuditAnalyzerRun.objects.filter(audit__project_id=context.project_id, name__in=SECRET_SCANNERS)
        .exclude(audit__status=Audit.Status.FAILED)
        .select_related("audit")
        .order_by("-audit__audit_date", "-audit_id", "name")
        .first()
    )
    if run is None:
        return _undecided("No re-scan of this project ran a secrets scanner yet.")
    values = {"scanner": run.name, "status": run.status, "found": run.findings, "audit": run.audit_id}
    if run.status != AuditAnalyzerRun.Status.RAN:
        return RuleVerdict(None, f"The secrets scanner did not finish on {_source(run.audit)}.", values)
    if run.findings:
        summary = f"{run.name} found {run.findings} secret(s) on {_source(run.audit)}."
        return RuleVerdict("todo", summary, values, _source(run.audit))
    return RuleVerdict(
        "done", f"{run.name} found no secret on {_source(run.audit)}.", values, _source(run.audit)
    )


def _practice(context: RuleContext, practice: str, present: str, missing: str) -> RuleVerdict:
    profile = (
        AuditProfile.objects.filter(audit__project_id=context.project_id)
        .exclude(audit__status=Audit.Status.FAILED)
        .select_related("audit")
        .order_by("-audit__audit_date", "-audit_id")
        .first()
    )
    if profile is None or practice not in (profile.practices or {}):
        return _undecided("No re-scan of this project checked this yet.")
    found = bool(profile.practices[practice])
    values = {
        "practice": practice,
        "found": found,
        "ci_files": list(profile.ci_files or [])[:20],
        "container_files": list(profile.container_files or [])[:20],
        "audit": profile.audit_id,
    }
    source = _source(profile.audit)
    return RuleVerdict(
        "done" if found else "todo", f"{present if found else missing} ({source}).", values, source
    )


def ci_config_present(context: RuleContext) -> RuleVerdict:
    return _practice(
        context, "ci", "The re-scan found a CI configuration", "The re-scan found no CI configuration"
    )


def container_healthcheck_present(context: RuleContext) -> RuleVerdict:
    return _practice(
        context,
        "container_healthcheck",
        "The re-scan found a container health check or Kubernetes probes",
        "The re-scan found no container health check",
    )


def container_non_root(context: RuleContext) -> RuleVerdict:
    return _practice(
        context,
        "container_non_root",
        "Every Dockerfile drops root (USER)",
        "A Dockerfile runs as root, or there is none",
    )


def lock_file_present(context: RuleContext) -> RuleVerdict:
    return _practice(
        context, "lock_file", "The re-scan found a lock file or pinned requirements", "No lock file found"
    )


def no_open_critical_finding(context: RuleContext) -> RuleVerdict:
    if context.domain_slug is None:
        return _undecided("The item has no domain to look for findings in.")
    open_critical = Finding.objects.filter(
        project_id=context.project_id,
        domain__slug=context.domain_slug,
        severity=Severity.CRITICAL,
        status__in=Finding.ACTIVE_STATUSES,
    )
    count = open_critical.count()
    values = {"domain": context.domain_slug, "open_critical": count}
    source = f"findings of the {context.domain_slug} domain"
    if count:
        return RuleVerdict(
            "todo", f"{count} critical finding(s) open in {context.domain_slug}.", values, source
        )
    return RuleVerdict("done", f"No critical finding open in {context.domain_slug}.", values, source)


EVALUATORS = {
    "tests_ran_in_ci": tests_ran_in_ci,
    "coverage_at_least": coverage_at_least,
    "no_secret_found": no_secret_found,
    "ci_config_present": ci_config_present,
    "container_healthcheck_present": container_healthcheck_present,
    "container_non_root": container_non_root,
    "lock_file_present": lock_file_present,
    "no_open_critical_finding": no_open_critical_finding,
}


# --- Evidence changed: answer again ---------------------------------------------------------


def project_reevaluate(project_id: int) -> int:
    """Evaluate again the rules of the project's items that evidence may answer (never a
    person's answer, never a signed-off checklist). Returns how many items changed."""
    ids = list(
        ChecklistItem.objects.filter(checklist__project_id=project_id)
        .exclude(evidence_rule="")
        .exclude(checklist__review_state=ReviewState.SIGNED_OFF)
        .values_list("pk", flat=True)
    )
    if not ids:  # one query for a project without such items
        return 0
    return services.evidence_answer_items([ChecklistItem(pk=pk) for pk in ids])


def _reevaluate_after_commit(project_id: int) -> None:
    def run() -> None:
        try:
            project_reevaluate(project_id)
        except Exception:  # new evidence was saved; a rule failing must not undo or hide that
            logger.exception("Checklist evidence rules of project %s could not be evaluated", project_id)

    once_after_commit(("checklist-evidence", project_id), run)


def _audit_saved(sender, instance: Audit, raw: bool = False, **kwargs) -> None:
    if not raw and instance.status == Audit.Status.COMPLETED:
        _reevaluate_after_commit(instance.project_id)


def _finding_saved(sender, instance: Finding, raw: bool = False, **kwargs) -> None:
    if not raw and instance.severity == Severity.CRITICAL:
        _reevaluate_after_commit(instance.project_id)


def _evidence_changed(sender, project_id: int, **kwargs) -> None:
    if sender is not ChecklistItem:  # findings imported or triaged; not our own answers
        _reevaluate_after_commit(project_id)


def register() -> None:
    """Register the evaluators, and answer again when the evidence they read changes: an audit
    completed (re-scan, import, metrics), findings imported or triaged, a critical finding saved."""
    for slug, evaluator in EVALUATORS.items():
        evidence_rules.register(slug, evaluator)
    post_save.connect(_audit_saved, sender=Audit, dispatch_uid="checklist-evidence-audit")
    post_save.connect(_finding_saved, sender=Finding, dispatch_uid="checklist-evidence-finding")
    evidence_changed.connect(_evidence_changed, dispatch_uid="checklist-evidence-changed")
