"""Re-scan controls in the project admin: the "Re-scan now" action and schedule validation.

Installed on ProjectAdmin by `install(ProjectAdmin)` at the bottom of projects/admin.py.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable

from projects.models import Audit
from projects.scanning import schedule, workspace
from projects.scanning.scanners import REGISTRY
from projects.scanning.service import project_rescan_request, scan_state


class ProjectScanForm(forms.ModelForm):
    """Checks the repository, branch, schedule and scanners; arms the next due time."""

    def clean_repository_url(self):
        url = (self.cleaned_data.get("repository_url") or "").strip()
        if url:
            try:
                workspace.validate_repository_url(url)
            except workspace.RepositoryError as exc:
                raise forms.ValidationError(str(exc)) from None
        return url

    def clean_branch(self):
        branch = (self.cleaned_data.get("branch") or "").strip()
        try:
            return workspace.validate_branch(branch)
        except workspace.RepositoryError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_scan_schedule(self):
        expression = " ".join((self.cleaned_data.get("scan_schedule") or "").split())
        try:
            schedule.validate(expression)
        except schedule.ScheduleError as exc:
            raise forms.ValidationError(str(exc)) from None
        return expression

    def clean_enabled_scanners(self):
        names = self.cleaned_data.get("enabled_scanners") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise forms.ValidationError('Give a list of scanner names, e.g. ["bandit", "ruff"].')
        unknown = sorted(set(names) - set(REGISTRY))
        if unknown:
            raise forms.ValidationError(
                f"Unknown scanner(s): {', '.join(unknown)}. Available: {', '.join(REGISTRY)}.")
        return names

    def clean(self):
        data = super().clean()
        expression = data.get("scan_schedule")
        if "scan_schedule" in self.changed_data and "next_scan_at" not in self.changed_data:
            # A new schedule starts from now; clearing it turns re-scans off.
            data["next_scan_at"] = schedule.next_run(expression, timezone.now()) if expression else None
        elif expression and not data.get("next_scan_at"):
            data["next_scan_at"] = schedule.next_run(expression, timezone.now())
        return data


@admin.action(description="Re-scan now", permissions=["change"])
def rescan_now(modeladmin, request, queryset):
    queued, running, no_repo = [], [], []
    for pk, name, repository_url in queryset.values_list("pk", "name", "repository_url"):
        if not repository_url:
            no_repo.append(name)
            continue
        try:
            audit = project_rescan_request(project_id=pk, user=request.user, reason="admin")
        except BrokerUnavailable:
            modeladmin.message_user(request, "Re-scan could not be started: the task queue is "
                                    "unavailable right now. Nothing was queued for the remaining "
                                    "projects; please try again later.", messages.ERROR)
            break
        (queued if audit is not None else running).append(name)
    if queued:
        modeladmin.message_user(request, f"Re-scan queued for {len(queued)} project(s): {', '.join(queued)}.",
                                messages.SUCCESS)
    if running:
        modeladmin.message_user(request, f"Already scanning (not started again): {', '.join(running)}.",
                                messages.WARNING)
    if no_repo:
        modeladmin.message_user(request, f"No repository configured: {', '.join(no_repo)}.", messages.ERROR)


def _running_subquery():
    return Audit.objects.filter(project=OuterRef("pk"), kind=Audit.Kind.AUTOMATED,
                                status=Audit.Status.IN_PROGRESS)


@admin.display(description="re-scan")
def rescan_column(obj) -> str:
    return "running" if getattr(obj, "_rescan_running", False) else "—"


def install(admin_class) -> None:
    """Adds the action, the form checks, and "running" in the list and on the change form."""
    admin_class.form = ProjectScanForm
    admin_class.actions = (*tuple(admin_class.actions or ()), rescan_now)

    original_get_queryset = admin_class.get_queryset

    def get_queryset(self, request):
        # One EXISTS per row inside the list query: no extra query per project.
        return original_get_queryset(self, request).annotate(_rescan_running=Exists(_running_subquery()))

    admin_class.get_queryset = get_queryset
    admin_class.rescan_column = staticmethod(rescan_column)
    admin_class.list_display = (*admin_class.list_display, "rescan_column")

    def rescan_status(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        state = scan_state(project_id=obj.pk)
        if state["running"] is not None:
            return f"{state['state']} (audit #{state['running'].pk}); a second one will not start"
        if state["last"] is not None:
            change = state["change"] or {}
            return (f"last: audit #{state['last'].pk}, {change.get('new_count', 0)} new, "
                    f"{change.get('fixed_count', 0)} fixed finding(s)")
        return "never scanned"

    rescan_status.short_description = "re-scan status"
    admin_class.rescan_status = rescan_status
    admin_class.readonly_fields = (*admin_class.readonly_fields, "rescan_status")
    fieldsets = []
    for name, options in admin_class.fieldsets or ():
        fields = tuple(options.get("fields", ()))
        if "scan_schedule" in fields:
            options = {**options, "fields": (*fields, "rescan_status")}
        fieldsets.append((name, options))
    if fieldsets:
        admin_class.fieldsets = tuple(fieldsets)
