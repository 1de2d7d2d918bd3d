"""Manager pages: the project page, the audit report and its Markdown. Thin: reads come from
dashboard.selectors. The portfolio is dashboard.portfolio_views, the trends dashboard.trends_views.

Login is required everywhere (LoginRequiredMiddleware). Admins, managers and auditors see every
project; tech leads see their own projects and get 403 on the others.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from dashboard import charts, selectors
from findings import selectors as finding_selectors
from findings import sla
from findings.models import Severity
from governance import selectors as governance_selectors
from projects import access
from projects.models import NEWEST_FIRST, Audit, Project
from reports.export import audit_to_markdown
from rescans.models import RescanRun
from rescans.services import running_scan
from scoring import gate, levels
from scoring import services as scoring


def _check_project(user, project: Project) -> None:
    if not access.can_see_project(user, project):
        raise PermissionDenied("This project is not one of yours.")


def _admin_link(user, model, pk) -> str:
    opts = model._meta
    if user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}"
    ):
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk])
    return ""


# --- project --------------------------------------------------------------------------------


@require_GET
def project_detail(request, slug):
    project = get_object_or_404(Project.objects.select_related("tech_lead"), slug=slug)
    _check_project(request.user, project)
    domain_list = selectors.domains()
    audits = selectors.project_audits(project)
    completed = [a for a in audits if a.status == Audit.Status.COMPLETED]
    oldest_first = list(reversed(completed))
    scores = selectors.scores_by_audit([a.pk for a in completed])
    latest = completed[0] if completed else None
    previous = completed[1] if len(completed) > 1 else None
    rows = selectors.domain_rows(domain_list, oldest_first, scores, latest, previous)
    for row in rows:
        row.sparkline = charts.sparkline([v for _, v in row.trend], label=f"{row.domain.name} over audits")
    findings = selectors.open_findings_breakdown(project.pk)
    sla_counts = sla.counts_by_project([project.pk])[project.pk]
    domain_by_id = {d.pk: d for d in domain_list}
    findings_by_domain = sorted(
        ((domain_by_id.get(domain_id), counts) for domain_id, counts in findings["by_domain"].items()),
        key=lambda pair: (pair[0] is None, pair[0].display_order if pair[0] else 0),
    )
    x_labels = [a.audit_date.strftime("%Y-%m-%d") if a.audit_date else "?" for a in oldest_first]
    context = {
        "sla_counts": sla_counts,
        "sla_admin_url": reverse("admin:findings_finding_changelist") + f"?project__id__exact={project.pk}",
        "project": project,
        "audits": audits,
        "latest": latest,
        "previous": previous,
        "latest_level": levels.level_for(latest.global_score if latest else None),
        "global_change": (
            latest.global_score - previous.global_score
            if latest and previous and latest.global_score is not None and previous.global_score is not None
            else None
        ),
        "domain_rows": rows,
        "radar": charts.radar(
            [d.name for d in domain_list],
            [r.value for r in rows],
            [r.previous for r in rows] if previous else None,
            current_label=latest.title if latest else "",
            previous_label=previous.title if previous else "",
        )
        if latest
        else "",
        "global_chart": charts.line_chart(
            x_labels,
            [("Global score", [a.global_score for a in oldest_first], "s-global")],
            title="Global score over audits",
        )
        if oldest_first
        else "",
        "domains_chart": charts.line_chart(
            x_labels,
            [(r.domain.name, [v for _, v in r.trend], f"s-d{i % 9 + 1}") for i, r in enumerate(rows)],
            title="Domain scores over audits",
            width=1160,
            height=280,
        )
        if oldest_first
        else "",
        "domain_keys": [
            (r.domain.name, f"s-d{i % 9 + 1}")
            for i, r in enumerate(rows)
            if any(v is not None for _, v in r.trend)
        ],
        "findings": findings,
        "findings_by_domain": findings_by_domain,
        "severities": _severities(),
        "checklists": selectors.checklists_with_progress(project.pk),
        "is_stale": latest.is_stale if latest else False,
        "mismatch": gate.verdict_mismatch(latest) if latest else "",
        "admin_url": _admin_link(request.user, Project, project.pk),
        # The change the latest re-scan found (rescans stores it on the audit's run).
        "latest_scan": _latest_scan_with_change(project),
        "start_checklist_url": (
            reverse("admin:checklists_checklist_start") + f"?project={project.pk}"
            if request.user.has_perm("checklists.add_checklist")
            else ""
        ),
        "formula_version": scoring.FORMULA_VERSION,
        "score_formula_versions": _formula_versions(rows),
        **_rescan_context(request.user, project),
    }
    context["repository"] = selectors.repository_card(selectors.latest_profiled_audit_id(project.pk))
    return render(request, "dashboard/project_detail.html", context)


def _latest_scan_with_change(project: Project) -> RescanRun | None:
    return (
        RescanRun.objects.filter(audit__project=project, audit__status=Audit.Status.COMPLETED)
        .exclude(change={})
        .select_related("audit")
        .order_by("-audit__audit_date", "-audit__id")
        .first()
    )


def _rescan_context(user, project: Project) -> dict:
    """The "Re-scan now" button (rescans) and the scan running now, if any."""
    return {
        "can_rescan": bool(project.repository_url) and access.can_rescan(user, project),
        "running_scan": running_scan(project_id=project.pk),
    }


def _severities():
    return [(s.value, s.label, s.label.lower()) for s in sorted(Severity, reverse=True)]


# --- audit report ---------------------------------------------------------------------------


@require_GET
def audit_detail(request, pk):
    audit = get_object_or_404(Audit.objects.select_related("project__tech_lead", "auditor"), pk=pk)
    _check_project(request.user, audit.project)
    completed_ids = list(
        Audit.objects.filter(project_id=audit.project_id, status=Audit.Status.COMPLETED)
        .order_by(*NEWEST_FIRST)
        .values_list("pk", flat=True)
    )
    is_latest = bool(completed_ids) and completed_ids[0] == audit.pk
    previous_id = None
    if audit.pk in completed_ids:
        index = completed_ids.index(audit.pk)
        previous_id = completed_ids[index + 1] if index + 1 < len(completed_ids) else None
    domain_list = selectors.domains()
    scores = selectors.scores_by_audit([i for i in (audit.pk, previous_id) if i])
    rows = []
    for domain in domain_list:
        current = scores.get(audit.pk, {}).get(domain.pk)
        before = scores.get(previous_id, {}).get(domain.pk) if previous_id else None
        rows.append(
            selectors.DomainRow(domain=domain, score=current, previous=before.score if before else None)
        )
    findings, counts, total = selectors.audit_findings(audit, is_latest=is_latest)
    threads = finding_selectors.comments_by_finding([f.pk for f in findings])
    for finding in findings:
        finding.thread = threads.get(finding.pk, [])
    checklists = selectors.checklists_with_progress(audit.project_id, audit=audit)
    items = selectors.checklist_items([c.pk for c in checklists])
    for checklist in checklists:
        checklist.item_list = items.get(checklist.pk, [])
    gate_counts = gate.gate_inputs(audit) if is_latest else None
    if gate_counts is not None:
        gate_counts["excepted"] = governance_selectors.excepted_gate_counts(project_id=audit.project_id)
    context = {
        "audit": audit,
        "rescan_run": (
            RescanRun.objects.filter(audit=audit).first() if audit.kind == Audit.Kind.AUTOMATED else None
        ),
        "project": audit.project,
        "is_latest": is_latest,
        "level": levels.level_for(audit.global_score),
        "domain_rows": rows,
        "measured_count": sum(1 for r in rows if r.value is not None),
        "radar": charts.radar(
            [d.name for d in domain_list],
            [r.value for r in rows],
            [r.previous for r in rows] if previous_id else None,
            current_label="This audit",
            previous_label="Previous audit",
        ),
        "findings": findings,
        "finding_counts": counts,
        "finding_total": total,
        "findings_listed_limit": selectors.AUDIT_FINDINGS_LISTED,
        "severities": _severities(),
        "checklists": checklists,
        "gate": gate_counts,
        "gate_ready_min": gate.GATE_READY_MIN,
        "gate_reservations_min": gate.GATE_RESERVATIONS_MIN,
        "mismatch": gate.verdict_mismatch(audit),
        "admin_url": _admin_link(request.user, Audit, audit.pk),
        "formula_version": scoring.FORMULA_VERSION,
        "score_formula_versions": _formula_versions(rows),
        "extra_metrics": _extra_metrics(audit.extra_metrics),
        "tests_total": sum(
            v or 0 for v in (audit.tests_passed, audit.tests_failed, audit.tests_errors, audit.tests_skipped)
        ),
    }
    context["repository"] = selectors.repository_card(audit.pk)
    return render(request, "dashboard/audit_detail.html", context)


def _formula_versions(rows) -> list[str]:
    """Formula versions the computed scores shown were stored with (a past audit keeps its own)."""
    return sorted({r.score.formula_version for r in rows if r.score is not None and r.score.formula_version})


def _extra_metrics(extra) -> list[tuple[str, str]]:
    """Other metrics as (label, value): "response_time_ms" -> ("Response time", "180 ms")."""
    rows = []
    if not isinstance(extra, dict):
        return rows
    for key, value in sorted(extra.items()):
        label, unit = str(key), ""
        for suffix, suffix_unit in (("_ms", " ms"), ("_percent", "%"), ("_seconds", " s")):
            if label.endswith(suffix):
                label, unit = label[: -len(suffix)], suffix_unit
        label = label.replace("_", " ").strip().capitalize()
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, float) and value.is_integer():
            shown = f"{int(value)}{unit}"
        else:
            shown = f"{value}{unit}"
        rows.append((label, shown))
    return rows


@require_GET
def audit_markdown(request, pk):
    audit = get_object_or_404(Audit.objects.select_related("project"), pk=pk)
    _check_project(request.user, audit.project)
    name = f"{audit.project.slug}-audit-{audit.audit_date or audit.pk}.md"
    response = HttpResponse(audit_to_markdown(audit), content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
