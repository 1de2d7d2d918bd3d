"""The OpenAPI schema and its two readers (Swagger UI, Redoc), served from auditor's own static
files (drf-spectacular-sidecar) with templates that hold no inline script or style, so the
Content-Security-Policy stays strict. The readers are pages: they need a login."""

from __future__ import annotations

from typing import Any

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer, TemplateHTMLRenderer
from rest_framework.request import Request
from rest_framework.response import Response


class SchemaView(SpectacularAPIView):
    """GET /api/v1/schema/: OpenAPI 3 (YAML, or JSON with ?format=json)."""

    permission_classes = [IsAuthenticated]

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        if response.status_code >= 400:  # errors in JSON like the rest of the API, not YAML
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)


class PageMixin:
    """DRF marks its views login_not_required (it answers 401 itself); these two are pages, so
    the site's login redirect applies again."""

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any) -> Any:
        view = super().as_view(*args, **kwargs)  # type: ignore[misc]
        view.login_required = True
        return view


class SwaggerView(PageMixin, SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"


class RedocView(PageMixin, SpectacularRedocView):
    template_name = "api/redoc.html"
    renderer_classes = [TemplateHTMLRenderer]
