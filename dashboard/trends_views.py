"""The trends page and its CSV (docs/permissions.md: every role, over the projects it sees)."""

from __future__ import annotations

import csv
import html
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from dashboard import charts, selectors, trends
from dashboard.portfolio_views import csv_text
from dashboard.templatetags.scores import score
from findings.models import Severity
from projects import access


def _options(choices: Any, selected: str) -> SafeString:
    """<option> elements of a filter, built here rather than by the template engine: the project
    list holds every visible project (a thousand and more). Every text is escaped."""
    return mark_safe(  # noqa: S308 (values and labels go through html.escape)
        "".join(
            f'<option value="{html.escape(str(value))}"{" selected" if str(value) == selected else ""}>'
            f"{html.escape(label)}</option>"
            for value, label in choices
        )
    )


def _leads(user: Any) -> list[tuple[int, str]]:
    visible = access.visible_projects(user).exclude(tech_lead__isnull=True).values("tech_lead_id")
    users = get_user_model().objects.filter(pk__in=visible).order_by("username")
    return [
        (pk, f"{first} {last}".strip() or username)
        for pk, username, first, last in users.values_list("pk", "username", "first_name", "last_name")
    ]


def _days(value: float | None) -> str:
    return "—" if value is None else str(value)


def _table_rows(data: trends.Trends, with_domain: bool) -> list[tuple[str, list[str]]]:
    """(period, its cells as text), every figure formatted here: no logic per cell in the
    template."""
    rows = []
    for p in data.periods:
        cells = [
            str(p.discovered),
            str(p.fixed),
            "—" if p.sla_percent is None else f"{p.sla_percent}%",
            *(
                "—" if p.mean_days.get(s) is None else f"{p.mean_days[s]} / {_days(p.median_days.get(s))}"
                for s in trends.SEVERITIES
            ),
            score(p.global_score),
        ]
        if with_domain:
            cells.append(score(p.domain_score))
        rows.append((p.label, cells))
    return rows


@require_GET
def trends_page(request: HttpRequest) -> HttpResponse:
    try:
        filters = trends.parse_filters(request.user, request.GET)
    except trends.TrendsError as exc:
        return render(request, "dashboard/trends.html", {"error": str(exc)}, status=400)
    data = trends.trends(request.user, filters)
    labels = [p.label for p in data.periods]
    context = {
        "data": data,
        "filters": filters,
        "severities": [(int(s), s.label) for s in trends.SEVERITIES],
        "chart": charts.bars(
            labels,
            [
                ("discovered", [p.discovered for p in data.periods], "discovered"),
                ("fixed", [p.fixed for p in data.periods], "fixed"),
            ],
        ),
        "rows": _table_rows(data, filters.domain is not None),
        "project_options": _options(
            access.visible_projects(request.user).order_by("name").values_list("slug", "name"),
            filters.project.slug if filters.project else "",
        ),
        "lead_options": _options(_leads(request.user), str(filters.lead_id or "")),
        "domain_options": _options(
            [(d.slug, d.name) for d in selectors.domains()], filters.domain.slug if filters.domain else ""
        ),
        "csv_query": urlencode(filters.query()),
    }
    return render(request, "dashboard/trends.html", context)


@require_GET
def trends_csv(request: HttpRequest) -> HttpResponse:
    try:
        filters = trends.parse_filters(request.user, request.GET)
    except trends.TrendsError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    data = trends.trends(request.user, filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="trends-{filters.period}.csv"'
    writer = csv.writer(response)
    names = [str(Severity(s).label).lower() for s in trends.SEVERITIES]
    writer.writerow(
        [
            "period",
            "discovered",
            "fixed",
            "fixed within SLA %",
            *[f"mean days to fix {n}" for n in names],
            *[f"median days to fix {n}" for n in names],
            "global score",
            "domain score",
        ]
    )
    for p in data.periods:
        writer.writerow(
            [
                csv_text(p.label),
                p.discovered,
                p.fixed,
                "" if p.sla_percent is None else p.sla_percent,
                *["" if p.mean_days.get(s) is None else p.mean_days[s] for s in trends.SEVERITIES],
                *["" if p.median_days.get(s) is None else p.median_days[s] for s in trends.SEVERITIES],
                "" if p.global_score is None else p.global_score,
                "" if p.domain_score is None else p.domain_score,
            ]
        )
    return response
