"""Admin: what each re-scan measured (read-only), and the preview of a formula change."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from projects import access
from projects.models import Project
from scoring import preview, services
from scoring.models import AuditAnalyzerRun

# The page computes every project it shows; the command previews a whole portfolio.
PREVIEW_PAGE_PROJECTS = 100


@admin.register(AuditAnalyzerRun)
class AuditAnalyzerRunAdmin(admin.ModelAdmin):
    list_display = (
        "audit",
        "name",
        "status",
        "languages",
        "covered_lines",
        "findings",
        "suppressed",
        "seconds",
    )
    list_filter = ("status", "name")
    list_select_related = ("audit__project",)
    search_fields = ("audit__project__name", "name")
    readonly_fields = [f.name for f in AuditAnalyzerRun._meta.fields]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditAnalyzerRun]:
        return super().get_queryset(request).filter(audit__project__in=access.visible_projects(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # written by re-scans only

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        return [
            path(
                "formula-preview/",
                self.admin_site.admin_view(self.formula_preview_view),
                name="scoring_formula_preview",
            ),
            *super().get_urls(),
        ]

    def formula_preview_view(self, request: HttpRequest) -> TemplateResponse:
        """The portfolio under a formula version beside the stored scores; writes nothing."""
        if not access.sees_all_projects(request.user):
            raise PermissionDenied
        version = request.GET.get("formula", services.FORMULA_VERSION)
        error = ""
        previews: list[preview.ProjectPreview] = []
        try:
            previews = preview.formula_preview(formula_version=version, limit=PREVIEW_PAGE_PROJECTS)
        except ValueError as exc:  # an unknown version: say so, show nothing
            error = str(exc)
        context = {
            **self.admin_site.each_context(request),
            "title": f"The portfolio under formula {version}",
            "opts": self.opts,
            "version": version,
            "versions": services.FORMULA_VERSIONS,
            "previews": previews,
            "error": error,
            "changed": sum(1 for p in previews for d in p.domains if d.old != d.new),
            "limit": PREVIEW_PAGE_PROJECTS,
            "projects_total": Project.objects.count(),
        }
        return TemplateResponse(request, "scoring/admin/formula_preview.html", context)
