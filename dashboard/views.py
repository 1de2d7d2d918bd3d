"""Manager pages: portfolio, project, audit report. Thin: reads come from dashboard.selectors.

Login is required everywhere (LoginRequiredMiddleware). Admins, managers and auditors see every
project; tech leads see their own projects and get 403 on the others.
"""

from __future__ import annotations

import csv

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
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
from scoring import services as scoring
from scoring import summaries

PAGE_SIZES = (50, 100, 250, 1000)
DEFAULT_PAGE_SIZE = 100


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


# --- portfolio ------------------------------------------------------------------------------


class PortfolioRow:
    """One line of the portfolio, built from a ProjectSummary without further queries."""

    def __init__(self, summary, domain_list, today):
        self.summary = summary
        self.project = summary.project
        self.level = scoring.level_for(summary.global_score)
        self.is_stale = scoring.is_stale(summary.valid_until, today)
        self.cells = []
        for domain in domain_list:
            value = summary.domain_scores.get(domain.slug)
            self.cells.append((domain, value, scoring.level_for(value)))
        history = summary.history or []
        self.sparkline = charts.sparkline([h[2] for h in history], label=f"{self.project.name}: global score")
        self.audit_count = len(history)


def _fmt_score(value) -> str:
    return "—" if value is None else f"{float(value):.1f}"


def _count_cell(n: int, severity: str | None = None) -> str:
    if not n:
        return '<td class="num"><span class="zero">0</span></td>'
    if severity:
        return f'<td class="num"><span class="count sev-{severity}">{n}</span></td>'
    return f'<td class="num">{n}</td>'


def render_portfolio_rows(rows: list[PortfolioRow], domain_list) -> SafeString:
    """The table body of the portfolio, built in Python: with 100 to 1,000 rows of 20 cells,
    the template engine alone would cost most of the page's time budget. Every text is escaped."""
    project_url = reverse("project-detail", args=["__slug__"])
    audit_url = reverse("audit-detail", args=[0]).replace("/0/", "/__id__/")
    out = []
    for row in rows:
        s, project = row.summary, row.project
        lead = project.tech_lead
        lead_name = escape(lead.get_full_name() or lead.username) if lead else "no tech lead"
        if s.global_score is not None:
            score = (
                f'<span class="badge lvl-{row.level.slug}" title="{row.level.name}">'
                f"{_fmt_score(s.global_score)}</span>"
            )
        else:
            score = '<span class="badge lvl-none">n/m</span>'
        if getattr(row, "sla_breached", 0):
            score += (
                f' <span class="flag breached" title="Open findings past their SLA due date">'
                f"{row.sla_breached} past SLA</span>"
            )
        if row.is_stale:
            score += (
                f' <span class="flag stale" title="Evidence older than the audit\'s '
                f'valid-until date ({s.valid_until:%Y-%m-%d})">stale</span>'
            )
        change = s.score_change
        trend = "flat" if change is None or change == 0 else ("up" if change > 0 else "down")
        change_text = "" if change is None else ("±0.0" if change == 0 else f"{change:+.1f}")
        cells = []
        for domain, value, level in row.cells:
            if value is None:
                cells.append(f'<td class="heat lvl-none" title="{escape(domain.name)}: not measured">·</td>')
            else:
                cells.append(
                    f'<td class="heat lvl-{level.slug}" title="{escape(domain.name)}: '
                    f'{value:.1f} ({level.name})">{value:.1f}</td>'
                )
        if s.checklist_percent is not None:
            checklists = (
                f'<span class="pct">{s.checklist_percent}%</span> <span class="muted '
                f'small">{s.checklist_done}/{s.checklist_applicable}</span>'
            )
        else:
            checklists = '<span class="muted">—</span>'
        if s.latest_audit_id:
            # A completed audit may carry no date (an imported report that states none).
            date_text = f"{s.latest_audit_date:%Y-%m-%d}" if s.latest_audit_date else "undated"
            last = f'<a href="{audit_url.replace("__id__", str(s.latest_audit_id))}">{date_text}</a>'

        else:
            last = '<span class="muted">never</span>'
        next_scan = (
            timezone.localtime(project.next_scan_at).strftime("%Y-%m-%d %H:%M")
            if project.next_scan_at
            else '<span class="muted">off</span>'
        )
        out.append(
            f'<tr class="{"is-stale" if row.is_stale else ""}">'
            f'<td class="col-project"><a class="project-link" '
            f'href="{project_url.replace("__slug__", escape(project.slug))}">'
            f'{escape(project.name)}</a><span class="muted small">{lead_name}</span></td>'
            f'<td class="num score-cell">{score}</td>'
            f'<td class="num"><span class="delta {trend}">{change_text}</span></td>'
            f"<td>{row.sparkline}</td>{''.join(cells)}"
            f"{_count_cell(s.open_critical, 'critical')}{_count_cell(s.open_high, 'high')}"
            f'<td class="num">{s.open_medium}</td><td class="num">{s.open_low}</td>'
            f'<td class="num">{checklists}</td><td>{last}</td><td>{next_scan}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 (every text above went through escape())


def _portfolio_query(request, domain_slugs):
    summaries.project_summaries_fill_missing()
    filters = selectors.PortfolioFilters.from_query(request.GET, domain_slugs)
    return filters, selectors.portfolio_rows(request.user, filters)


@require_GET
def portfolio(request):
    domain_list = selectors.domains()
    slugs = [d.slug for d in domain_list]
    filters, rows = _portfolio_query(request, [f"d:{s}" for s in slugs])
    try:
        per_page = int(request.GET.get("per_page", DEFAULT_PAGE_SIZE))
    except ValueError:
        per_page = DEFAULT_PAGE_SIZE
    if per_page not in PAGE_SIZES:
        per_page = DEFAULT_PAGE_SIZE
    paginator = Paginator(rows, per_page)
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    table = [PortfolioRow(s, domain_list, today) for s in page.object_list]
    breached = sla.breached_by_project([row.project.pk for row in table])
    for row in table:
        row.sla_breached = breached.get(row.project.pk, 0)

    base = {k: v for k, v in request.GET.items() if k not in ("o", "page")}
    current = ("-" if filters.descending else "") + filters.sort

    def sort_link(key, default_desc=False):
        if filters.sort == key:
            order = key if filters.descending else f"-{key}"
        else:
            order = f"-{key}" if default_desc else key
        return "?" + urlencode({**base, "o": order})

    def sort_state(key):
        if filters.sort != key:
            return ""
        return "desc" if filters.descending else "asc"

    columns = {
        key: {
            "url": sort_link(
                key,
                key in ("score", "change", "critical", "high", "medium", "low", "checklists", "last_audit"),
            ),
            "state": sort_state(key),
        }
        for key in selectors.PORTFOLIO_SORTS
    }
    domain_columns = [
        (d, {"url": sort_link(f"d:{d.slug}", True), "state": sort_state(f"d:{d.slug}")}) for d in domain_list
    ]
    page_query = urlencode({**base, "o": current})
    totals = selectors.portfolio_totals(rows)
    context = {
        "rows": table,
        "rows_html": render_portfolio_rows(table, domain_list),
        "page": page,
        "paginator": paginator,
        "filters": filters,
        "columns": columns,
        "domain_columns": domain_columns,
        "domains": domain_list,
        "totals": totals,
        "level_counts": [
            (bound, name, slug, totals[f"level_{slug}"]) for bound, name, slug in scoring.levels()
        ],
        "leads": selectors.portfolio_leads(),
        "levels": scoring.levels(),
        "level_legend": _level_legend(),
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "page_query": page_query,
        "csv_query": urlencode({**base, "o": current}),
        "formula_version": scoring.FORMULA_VERSION,
        "today": today,
    }
    return render(request, "dashboard/portfolio.html", context)


def _level_legend() -> list[tuple[str, str, str]]:
    """[(name, css slug, "≥ 8.5")...], the lowest band written "< 4.0"."""
    bands = scoring.levels()
    legend = [(name, slug, f"≥ {bound:.1f}") for bound, name, slug in bands[:-1]]
    if bands:
        _bound, name, slug = bands[-1]
        legend.append((name, slug, f"< {bands[-2][0]:.1f}" if len(bands) > 1 else ""))
    return legend


def _csv_text(value: str) -> str:
    """A user-typed text for a CSV cell: a leading = + - @ would make spreadsheets run it as a
    formula, so such a cell starts with an apostrophe instead."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


class _Echo:
    def write(self, value):
        return value


@require_GET
def portfolio_csv(request):
    domain_list = selectors.domains()
    _filters, rows = _portfolio_query(request, [f"d:{d.slug}" for d in domain_list])
    today = timezone.localdate()
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(
            [
                "project",
                "slug",
                "tech lead",
                "global score",
                "level",
                "change",
                "computed verdict",
                *[d.name for d in domain_list],
                "open critical",
                "open high",
                "open medium",
                "open low",
                "open info",
                "checklists done %",
                "last audit",
                "valid until",
                "stale",
                "next re-scan",
            ]
        )
        for s in rows.iterator(chunk_size=500):
            project = s.project
            yield writer.writerow(
                [
                    _csv_text(project.name),
                    project.slug,
                    _csv_text(project.tech_lead.username) if project.tech_lead else "",
                    "" if s.global_score is None else s.global_score,
                    scoring.level_for(s.global_score).name,
                    "" if s.score_change is None else s.score_change,
                    s.get_computed_verdict_display(),
                    *[
                        "" if s.domain_scores.get(d.slug) is None else s.domain_scores[d.slug]
                        for d in domain_list
                    ],
                    s.open_critical,
                    s.open_high,
                    s.open_medium,
                    s.open_low,
                    s.open_info,
                    "" if s.checklist_percent is None else s.checklist_percent,
                    s.latest_audit_date or "",
                    s.valid_until or "",
                    "yes" if scoring.is_stale(s.valid_until, today) else "no",
                    project.next_scan_at.isoformat() if project.next_scan_at else "",
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{today.isoformat()}.csv"'
    return response


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
        "latest_level": scoring.level_for(latest.global_score if latest else None),
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
        "mismatch": scoring.verdict_mismatch(latest) if latest else "",
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
    gate = scoring.gate_inputs(audit) if is_latest else None
    if gate is not None:
        gate["excepted"] = governance_selectors.excepted_gate_counts(project_id=audit.project_id)
    context = {
        "audit": audit,
        "rescan_run": (
            RescanRun.objects.filter(audit=audit).first() if audit.kind == Audit.Kind.AUTOMATED else None
        ),
        "project": audit.project,
        "is_latest": is_latest,
        "level": scoring.level_for(audit.global_score),
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
        "gate": gate,
        "gate_ready_min": scoring.GATE_READY_MIN,
        "gate_reservations_min": scoring.GATE_RESERVATIONS_MIN,
        "mismatch": scoring.verdict_mismatch(audit),
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
