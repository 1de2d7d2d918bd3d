"""`GET /metrics` (only with PROMETHEUS_METRICS on): Prometheus text format, bearer token only."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseNotFound
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@login_not_required  # scrapers have no session; the bearer token below is required instead
@never_cache
@require_GET
def metrics(request):
    if not settings.PROMETHEUS_METRICS:
        return HttpResponseNotFound()
    expected = f"Bearer {settings.METRICS_TOKEN}"
    given = request.headers.get("Authorization", "")
    if not settings.METRICS_TOKEN or not hmac.compare_digest(given.encode(), expected.encode()):
        response = HttpResponse("A valid bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    from django_prometheus.exports import ExportToDjangoView

    return ExportToDjangoView(request)
