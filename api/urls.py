"""/api/v1/: the REST API (docs/api.md), its OpenAPI schema and its two readers."""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

# The OpenAPI description of the token authentication (a drf-spectacular extension), registered
# with the URLconf that serves the schema: a process that serves no URL does not load it.
from api import docs_views, schema, views, views_triage  # noqa: F401
from api.errors import not_found

router = SimpleRouter(use_regex_path=False)
router.register("projects", views.ProjectViewSet, basename="api-project")
router.register("audits", views.AuditViewSet, basename="api-audit")
router.register("domain-scores", views.DomainScoreViewSet, basename="api-domainscore")
router.register("findings", views_triage.FindingViewSet, basename="api-finding")
router.register("exceptions", views_triage.ExceptionViewSet, basename="api-exception")
router.register("checklists", views_triage.ChecklistViewSet, basename="api-checklist")
router.register("checklist-items", views_triage.ChecklistItemViewSet, basename="api-checklistitem")
router.register("import-runs", views.ImportRunViewSet, basename="api-importrun")
router.register("rescans", views.RescanViewSet, basename="api-rescan")
router.register("portfolio", views.PortfolioViewSet, basename="api-portfolio")

urlpatterns = [
    path("", include(router.urls)),
    path("schema/", docs_views.SchemaView.as_view(), name="api-schema"),
    path("docs/", docs_views.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", docs_views.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    re_path(r"^.*$", not_found, name="api-not-found"),
]
