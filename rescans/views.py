"""The "Re-scan now" button of the project page (POST only; the page shows the running scan)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from kombu.exceptions import OperationalError as BrokerUnavailable

from projects import access
from projects.models import Project
from rescans.services import project_rescan_request

logger = logging.getLogger(__name__)


@require_POST
def project_rescan_now(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project, slug=slug)
    if not access.can_see_project(request.user, project) or not access.can_rescan(request.user, project):
        raise PermissionDenied
    if not project.repository_url:
        messages.error(request, "This project has no repository to scan.")
        return redirect("project-detail", slug=project.slug)
    try:
        queued = project_rescan_request(project_id=project.pk, user=request.user, reason="page")
    except BrokerUnavailable:
        # The service has already closed the audit it could not queue.
        logger.warning("re-scan of %s not queued: the broker is unavailable", project.slug)
        messages.error(
            request,
            "Re-scan could not be started: the task queue is unavailable right "
            "now. Nothing was queued; please try again in a few minutes.",
        )
    else:
        if queued is None:
            messages.warning(
                request, "A re-scan of this project is already running; it was not started again."
            )
        else:
            messages.success(request, "Re-scan queued. This page shows it as running until it finishes.")
    return redirect("project-detail", slug=project.slug)
