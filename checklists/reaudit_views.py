"""Re-audits from the pages: "Start the next audit from the previous one" on the project page,
and the diff of a carried checklist against the previous audit's. Thin views over
checklists.services (start_audit_from_previous, checklist_diff)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from checklists import services
from checklists.models import Checklist, ChecklistItem
from projects import access
from projects.models import Project

START_CHECKLISTS = "checklists.add_checklist"


def may_start_reaudit(user, project: Project) -> bool:
    """Whether the project page offers the button: who may start checklists on the project."""
    return user.has_perm(START_CHECKLISTS) and access.can_see_project(user, project)


@require_POST
def start_next_audit(request: HttpRequest, slug: str) -> HttpResponse:
    project = get_object_or_404(Project, slug=slug)
    if not access.can_see_project(request.user, project):
        raise PermissionDenied("This project is not one of yours.")
    if not request.user.has_perm(START_CHECKLISTS):
        raise PermissionDenied("You may read this project but not start its audits.")
    try:
        audit = services.start_audit_from_previous(project, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("project-detail", args=[project.slug]))
    carried = ChecklistItem.objects.filter(checklist__audit=audit, carried=True).count()
    messages.success(
        request,
        f"“{audit.title}” started from the previous audit: {carried} answer{'s' if carried != 1 else ''} "
        "carried, to re-confirm below (tick them and “Confirm carried answers”, or answer afresh).",
    )
    query = urlencode({"project": project.pk})
    return HttpResponseRedirect(f"{reverse('checklists:queue')}?{query}")


@require_GET
def checklist_diff(request: HttpRequest, pk: int) -> HttpResponse:
    checklist = get_object_or_404(
        Checklist.objects.select_related("project", "audit", "previous__audit"), pk=pk
    )
    if not access.can_see_project(request.user, checklist.project):
        raise PermissionDenied("This checklist belongs to a project that is not one of yours.")
    diff = services.checklist_diff(checklist)
    sections = [
        ("regressions", "Regressions: done before, to do now", diff.regressions),
        ("changed", "Changed answers", diff.changed),
        ("new", "New items (the template gained them)", diff.new),
        ("removed", "Removed items (the template dropped them)", diff.removed),
        ("unchanged", "Unchanged", diff.unchanged),
    ]
    context = {"checklist": checklist, "project": checklist.project, "diff": diff, "sections": sections}
    return render(request, "checklists/queue_diff.html", context)
