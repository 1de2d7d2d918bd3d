"""The trends page and its CSV (docs/permissions.md: every role, over the projects it sees)."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from dashboard import charts, selectors, trends
from dashboard.portfolio_views import csv_text
from findings.models import Severity
from projects import access


def _leads(user: Any) -> Any:
    visible = access.visible_projects(user).exclude(tech_lead__isnull=True).values("tech_lead_id")
    return get_user_model().objects.filter(pk__in=visible).order_by("username")


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
        "projects": access.visible_projects(request.user).order_by("name").only("name", "slug"),
        "leads": _leads(request.user),
        "domains": selectors.domains(),
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
