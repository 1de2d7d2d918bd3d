"""The change since the previous automated audit (new and fixed findings, scores before and
after) and the regression alert it may trigger."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from findings.models import Finding, Severity
from projects.models import Audit, Project
from rescans.models import RescanRun
from rescans.selectors import previous_automated_audit
from rescans.signals import regression_found

logger = logging.getLogger(__name__)

REGRESSION_SCORE_DROP = Decimal("1.0")
CHANGE_LIST_LIMIT = 50


def _finding_row(f: Finding) -> dict[str, Any]:
    return {
        "id": f.pk,
        "title": f.title[:200],
        "severity": Severity(f.severity).label.lower(),
        "tool": f.tool,
        "file_path": f.file_path,
        "line": f.line,
    }


def compute_change(audit: Audit) -> dict[str, Any]:
    previous = previous_automated_audit(project_id=audit.project_id, before_id=audit.pk)
    new_q = Q(first_seen_audit=audit)
    if audit.started_at:
        new_q |= Q(last_seen_audit=audit, reopened_at__gte=audit.started_at)
    new = list(
        Finding.objects.filter(new_q, project_id=audit.project_id)
        .only("title", "severity", "tool", "file_path", "line")
        .order_by("-severity", "id")
    )
    fixed = list(
        Finding.objects.filter(resolved_by_import__audit=audit)
        .only("title", "severity", "tool", "file_path", "line")
        .order_by("-severity", "id")
    )
    scores = dict(audit.domain_scores.values_list("domain__slug", "score"))
    prev_scores = dict(previous.domain_scores.values_list("domain__slug", "score")) if previous else {}
    domains = {}
    for slug in sorted(set(scores) | set(prev_scores)):
        now_s, before = scores.get(slug), prev_scores.get(slug)
        domains[slug] = {
            "before": str(before) if before is not None else None,
            "after": str(now_s) if now_s is not None else None,
            "delta": str(now_s - before) if now_s is not None and before is not None else None,
        }
    g_before = previous.global_score if previous else None
    g_delta = None
    if audit.global_score is not None and g_before is not None:
        g_delta = audit.global_score - g_before
    new_serious = [f for f in new if f.severity >= Severity.HIGH]
    return {
        "previous_audit": previous.pk if previous else None,
        "new_count": len(new),
        "fixed_count": len(fixed),
        "new": [_finding_row(f) for f in new[:CHANGE_LIST_LIMIT]],
        "fixed": [_finding_row(f) for f in fixed[:CHANGE_LIST_LIMIT]],
        "new_critical_or_high": len(new_serious),
        "domains": domains,
        "global": {
            "before": str(g_before) if g_before is not None else None,
            "after": str(audit.global_score) if audit.global_score is not None else None,
            "delta": str(g_delta) if g_delta is not None else None,
        },
        # The first automated audit is the baseline: nothing to regress from.
        "regression": previous is not None
        and (bool(new_serious) or (g_delta is not None and g_delta <= -REGRESSION_SCORE_DROP)),
    }


def regression_summary(audit: Audit) -> dict[str, dict[str, int]]:
    """New and reopened findings of the run, counted by severity word."""
    summary: dict[str, dict[str, int]] = {"new": {}, "reopened": {}}
    found = Finding.objects.filter(project_id=audit.project_id)
    groups = {"new": found.filter(first_seen_audit=audit)}
    if audit.started_at:
        groups["reopened"] = found.filter(last_seen_audit=audit, reopened_at__gte=audit.started_at).exclude(
            first_seen_audit=audit
        )
    for name, rows in groups.items():
        for severity, count in (
            rows.values_list("severity").annotate(n=Count("id")).values_list("severity", "n")
        ):
            summary[name][Severity(severity).label.lower()] = count
    return summary


def _announce(*, project: Project, audit: Audit, run: RescanRun, summary: dict[str, dict[str, int]]) -> None:
    for receiver, result in regression_found.send_robust(
        sender=RescanRun, project=project, audit=audit, run=run, summary=summary
    ):
        if isinstance(result, Exception):
            logger.error(
                "re-scan %s: a regression_found receiver failed: %r (%r)", audit.pk, result, receiver
            )


def notify_after_commit(audit_id: int) -> None:
    try:
        audit_notify_regression(audit_id=audit_id)
    except Exception:  # the audit is committed; a mail problem is logged, never fatal
        logger.exception("re-scan %s: regression e-mail failed", audit_id)


def audit_notify_regression(*, audit_id: int) -> bool:
    """E-mail the tech lead and members when the audit shows a regression. At most once per
    audit: the audit is claimed with a conditional UPDATE of its run."""
    audit = Audit.objects.select_related("project__tech_lead").get(pk=audit_id)
    run = RescanRun.objects.filter(audit=audit).first()
    if run is None or not run.is_regression or run.regression_notified_at is not None:
        return False
    change = run.change
    notified_at = timezone.now()
    claimed = RescanRun.objects.filter(pk=audit_id, regression_notified_at__isnull=True).update(
        regression_notified_at=notified_at
    )
    if not claimed:
        return False
    run.regression_notified_at = notified_at
    project = audit.project
    summary = regression_summary(audit)
    transaction.on_commit(lambda: _announce(project=project, audit=audit, run=run, summary=summary))
    recipients = sorted(
        {
            u.email
            for u in [project.tech_lead, *project.members.all()]
            if u is not None and u.email and u.is_active
        }
    )
    if not recipients:
        return False
    reasons = []
    if change.get("new_critical_or_high"):
        reasons.append(f"{change['new_critical_or_high']} new critical or high finding(s)")
    delta = change.get("global", {}).get("delta")
    if delta is not None and Decimal(delta) <= -REGRESSION_SCORE_DROP:
        reasons.append(f"global score {change['global']['before']} → {change['global']['after']}")
    url = settings.SITE_URL + audit.get_absolute_url() if hasattr(audit, "get_absolute_url") else ""
    lines = [
        f"The automated re-scan of {project.name} (commit {audit.commit_sha[:12]}) found a regression:",
        *[f"- {r}" for r in reasons],
        "",
    ]
    serious = [f for f in change.get("new", []) if f["severity"] in ("critical", "high")]
    for f in serious[:20]:
        where = f"{f['file_path']}:{f['line']}" if f.get("line") else f.get("file_path", "")
        lines.append(f"  [{f['severity']}] {f['title']} ({where})")
    if url:
        lines += ["", url]
    send_mail(
        subject=f"[auditor] Regression in {project.name}: {'; '.join(reasons)}"[:200],
        message="\n".join(lines),
        from_email=None,
        recipient_list=recipients,
    )
    return True
