# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""The OpenAPI schema and its two readers (Swagger UI, Redoc), served from auditor's own static
files (drf-spectacular-sidecar) with templates that hold no inline script or style, so the
Content-Security-Policy stays strict. The readers are pages: they need a login."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
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


# The two <style> elements Redoc's bundle inserts as it loads, before it can read a nonce: an
# empty one (styled-components then adds rules through the CSSOM) and the scrollbar's fixed CSS.
# Allowed by their hashes on this page only; the browser test fails if a new sidecar changes them.
REDOC_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)


class RedocView(PageMixin, SpectacularRedocView):
    """Redoc builds its styles at run time (styled-components): they carry a nonce drawn for each
    response, which this page's policy allows for styles only, with the two fixed style elements
    above. Scripts stay 'self' only."""

    template_name = "api/redoc.html"
    renderer_classes = [TemplateHTMLRenderer]

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response: Response = super().get(request, *args, **kwargs)  # type: ignore[no-untyped-call]
        nonce = secrets.token_urlsafe(18)
        response.data["style_nonce"] = nonce
        header = (
            "Content-Security-Policy-Report-Only" if settings.CSP_REPORT_ONLY else "Content-Security-Policy"
        )
        response[header] = style_nonce_policy(settings.CSP_POLICY, nonce)
        return response


def style_nonce_policy(policy: str, nonce: str) -> str:
    """The site's policy with `nonce` added to its style-src directive (no other change)."""
    directives = [part.strip() for part in policy.split(";") if part.strip()]
    out = []
    for directive in directives:
        if directive.split()[0] == "style-src":
            directive = " ".join([directive, f"'nonce-{nonce}'", *REDOC_STYLE_HASHES])
        out.append(directive)
    return "; ".join(out)
