"""The portfolio page and its CSV: one row per visible project, from the ProjectSummary rows.

Login is required (LoginRequiredMiddleware); tech leads see their own projects only (the
selectors filter). The table's rows are rendered in Python: the template engine alone would cost
most of the page's time budget.
"""

from __future__ import annotations

import csv
from html import escape

from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from dashboard import charts, selectors
from findings import sla
from scoring import levels, summaries
from scoring import services as scoring

PAGE_SIZES = (50, 100, 250, 1000)
DEFAULT_PAGE_SIZE = 100


# --- portfolio ------------------------------------------------------------------------------


class PortfolioRow:
    """One line of the portfolio, built from a ProjectSummary without further queries.

    `level_for` grades a score: the page passes a `LevelCache`, which grades each distinct
    score once for all its rows."""

    def __init__(self, summary, domain_list, today, level_for=levels.level_for):
        self.summary = summary
        self.project = summary.project
        self.level = level_for(summary.global_score)
        self.is_stale = levels.is_stale(summary.valid_until, today)
        scores = summary.domain_scores
        self.cells = []
        for domain in domain_list:
            value = scores.get(domain.slug)
            self.cells.append((domain, value, level_for(value)))
        history = summary.history or []
        self.sparkline = charts.sparkline(
            [h[2] for h in history], label=f"{self.project.name}: global score", level_for=level_for
        )
        self.audit_count = len(history)


class LevelCache(dict):
    """levels.level_for of each distinct score, computed once: a page of 1,000 rows grades
    some 11,000 scores, of at most a hundred distinct values (one decimal, 0 to 10)."""

    def __missing__(self, score):
        level = self[score] = levels.level_for(score)
        return level


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
    the template engine alone would cost most of the page's time budget. Every text is escaped
    (with html.escape: django's escape() gives the same text through a lazy-string wrapper that
    costs more than the escaping itself at 20,000 calls a page)."""
    project_url = reverse("project-detail", args=["__slug__"])
    audit_url = reverse("audit-detail", args=[0]).replace("/0/", "/__id__/")
    domain_names = [escape(domain.name) for domain in domain_list]
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
        for (_domain, value, level), name in zip(row.cells, domain_names, strict=True):
            if value is None:
                cells.append(f'<td class="heat lvl-none" title="{name}: not measured">·</td>')
            else:
                text = f"{value:.1f}"
                cells.append(
                    f'<td class="heat lvl-{level.slug}" title="{name}: {text} ({level.name})">{text}</td>'
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
    paginator = Paginator(rows.only(*selectors.PORTFOLIO_TABLE_FIELDS), per_page)
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    level_for = LevelCache().__getitem__
    table = [PortfolioRow(s, domain_list, today, level_for) for s in page.object_list]
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
            (bound, name, slug, totals[f"level_{slug}"]) for bound, name, slug in levels.levels()
        ],
        "leads": selectors.portfolio_leads(),
        "levels": levels.levels(),
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
    bands = levels.levels()
    legend = [(name, slug, f"≥ {bound:.1f}") for bound, name, slug in bands[:-1]]
    if bands:
        _bound, name, slug = bands[-1]
        legend.append((name, slug, f"< {bands[-2][0]:.1f}" if len(bands) > 1 else ""))
    return legend


def csv_text(value: str) -> str:
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
                    csv_text(project.name),
                    project.slug,
                    csv_text(project.tech_lead.username) if project.tech_lead else "",
                    "" if s.global_score is None else s.global_score,
                    levels.level_for(s.global_score).name,
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
                    "yes" if levels.is_stale(s.valid_until, today) else "no",
                    project.next_scan_at.isoformat() if project.next_scan_at else "",
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="portfolio-{today.isoformat()}.csv"'
    return response
