"""The checklist action of the project admin (mixed in explicitly by projects/admin.py)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse


@admin.action(description="Start a checklist from a template", permissions=["view"])
def start_checklist_for_projects(modeladmin, request, queryset):
    if not request.user.has_perm("checklists.add_checklist"):
        modeladmin.message_user(request, "You may not start checklists.", messages.ERROR)
        return None
    query = urlencode([("project", pk) for pk in queryset.values_list("pk", flat=True)])
    return HttpResponseRedirect(reverse("admin:checklists_checklist_start") + "?" + query)
