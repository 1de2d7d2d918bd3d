"""The public badge (no login: its key is the credential) and the badge page of a project."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from integrations.badges import KINDS, badge_key_rotate, badge_project, badge_text, svg
from integrations.models import BadgeKey
from projects import access
from projects.models import Project


@login_not_required  # public on purpose: the per-project key in the URL keeps private projects private
@require_GET
def badge(request, slug: str, key: str, kind: str):
    if kind not in KINDS:
        raise Http404
    project = badge_project(slug=slug, key=key)
    if project is None:
        raise Http404  # unknown project, no key or a wrong key: the same answer
    response = HttpResponse(
        svg(*badge_text(project=project, kind=kind)), content_type="image/svg+xml; charset=utf-8"
    )
    response["Cache-Control"] = f"public, max-age={settings.BADGE_CACHE_SECONDS}"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def may_rotate(user, project: Project) -> bool:
    return user.is_superuser or (access.can_see_project(user, project) and project.tech_lead_id == user.pk)


def _project_for(request, slug: str) -> Project:
    project = get_object_or_404(Project, slug=slug)
    if not access.can_see_project(request.user, project):
        raise PermissionDenied
    return project


@require_GET
def badge_page(request, slug: str):
    project = _project_for(request, slug)
    stored = BadgeKey.objects.filter(project=project).first()
    urls = {}
    if stored is not None:
        for kind in KINDS:
            name = "integrations-badge" if kind == "score" else "integrations-badge-gate"
            path = reverse(name, args=[project.slug, stored.key])
            urls[kind] = settings.SITE_URL + path
    return render(
        request,
        "integrations/badge_page.html",
        {
            "project": project,
            "urls": urls,
            "may_rotate": may_rotate(request.user, project),
            "title": "Badges",
        },
    )


@require_POST
def badge_rotate(request, slug: str):
    project = _project_for(request, slug)
    if not may_rotate(request.user, project):
        raise PermissionDenied
    badge_key_rotate(project=project)
    messages.success(request, "New badge key: the old badge URLs no longer work.")
    return redirect("integrations-badge-page", slug=project.slug)
