"""The checklist actions of the project admin (mixed in explicitly by projects/admin.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse

from checklists import services


@admin.action(description="Start a checklist from a template", permissions=["view"])
def start_checklist_for_projects(modeladmin, request, queryset):
    if not request.user.has_perm("checklists.add_checklist"):
        modeladmin.message_user(request, "You may not start checklists.", messages.ERROR)
        return None
    query = urlencode([("project", pk) for pk in queryset.values_list("pk", flat=True)])
    return HttpResponseRedirect(reverse("admin:checklists_checklist_start") + "?" + query)


@admin.action(
    description="Start the next audit from the previous one (answers carried)", permissions=["view"]
)
def start_audit_from_previous(modeladmin, request, queryset):
    """One new audit per selected project, its checklists carrying the previous audit's answers
    to re-confirm (checklists.services.start_audit_from_previous)."""
    if not request.user.has_perm("checklists.add_checklist"):
        modeladmin.message_user(request, "You may not start checklists.", messages.ERROR)
        return None
    started = []
    for project in queryset.order_by("name"):
        try:
            started.append(services.start_audit_from_previous(project, user=request.user))
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            modeladmin.message_user(request, f"{project}: {text}", messages.ERROR)
    if started:
        modeladmin.message_user(
            request,
            f"Started {len(started)} audit(s) from the previous one; carried answers await re-confirming.",
            messages.SUCCESS,
        )
    if len(started) == 1:
        return HttpResponseRedirect(reverse("admin:projects_audit_change", args=[started[0].pk]))
    return None
