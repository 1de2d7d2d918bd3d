"""Re-scan controls in the project admin: the "Re-scan now" action and schedule validation.

Mixed into ProjectAdmin by projects/admin.py (UI composition, see docs/architecture.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from kombu.exceptions import OperationalError as BrokerUnavailable

from projects import schedule
from projects.admin_mixins import record_as_html
from projects.models import Audit, Project
from rescans import workspace
from rescans.models import RescanRun
from rescans.scanners import REGISTRY
from rescans.selectors import scan_state
from rescans.services import project_rescan_request

# The generic forms of the type stubs; Django's own classes take no type arguments at run time.
# The mixin is typed as the admin it is mixed into (projects/admin.py adds ModelAdmin).
if TYPE_CHECKING:
    _ScanFormBase = forms.ModelForm[Project]
    _ProjectAdminBase = admin.ModelAdmin[Project]
else:
    _ScanFormBase = forms.ModelForm
    _ProjectAdminBase = object


class ProjectScanForm(_ScanFormBase):
    """Checks the repository, branch, schedule and scanners. The next due time is derived by
    Project.save() (any path that sets a schedule, not only this form)."""

    def clean_repository_url(self) -> str:
        url = (self.cleaned_data.get("repository_url") or "").strip()
        if url:
            try:
                workspace.validate_repository_url(url)
            except workspace.RepositoryError as exc:
                raise forms.ValidationError(str(exc)) from None
        return url

    def clean_branch(self) -> str:
        branch = (self.cleaned_data.get("branch") or "").strip()
        try:
            return workspace.validate_branch(branch)
        except workspace.RepositoryError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_scan_schedule(self) -> str:
        expression = " ".join((self.cleaned_data.get("scan_schedule") or "").split())
        try:
            schedule.validate(expression)
        except schedule.ScheduleError as exc:
            raise forms.ValidationError(str(exc)) from None
        return expression

    def clean_enabled_scanners(self) -> list[str]:
        names = self.cleaned_data.get("enabled_scanners") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise forms.ValidationError('Give a list of scanner names, e.g. ["bandit", "ruff"].')
        unknown = sorted(set(names) - set(REGISTRY))
        if unknown:
            raise forms.ValidationError(
                f"Unknown scanner(s): {', '.join(unknown)}. Available: {', '.join(REGISTRY)}."
            )
        return names


@admin.action(description="Re-scan now", permissions=["change"])
def rescan_now(
    modeladmin: admin.ModelAdmin[Project], request: HttpRequest, queryset: QuerySet[Project]
) -> None:
    queued: list[str] = []
    running: list[str] = []
    no_repo: list[str] = []
    for pk, name, repository_url in queryset.values_list("pk", "name", "repository_url"):
        if not repository_url:
            no_repo.append(name)
            continue
        try:
            audit = project_rescan_request(project_id=pk, user=request.user, reason="admin")
        except BrokerUnavailable:
            modeladmin.message_user(
                request,
                "Re-scan could not be started: the task queue is "
                "unavailable right now. Nothing was queued for the remaining "
                "projects; please try again later.",
                messages.ERROR,
            )
            break
        (queued if audit is not None else running).append(name)
    if queued:
        modeladmin.message_user(
            request, f"Re-scan queued for {len(queued)} project(s): {', '.join(queued)}.", messages.SUCCESS
        )
    if running:
        modeladmin.message_user(
            request, f"Already scanning (not started again): {', '.join(running)}.", messages.WARNING
        )
    if no_repo:
        modeladmin.message_user(request, f"No repository configured: {', '.join(no_repo)}.", messages.ERROR)


def _running_subquery() -> QuerySet[Audit]:
    return Audit.objects.filter(
        project=OuterRef("pk"), kind=Audit.Kind.AUTOMATED, status=Audit.Status.IN_PROGRESS
    )


@admin.display(description="re-scan")
def rescan_column(obj: Project) -> str:
    return "running" if getattr(obj, "_rescan_running", False) else "—"


class ProjectRescanAdminMixin(_ProjectAdminBase):
    """The re-scan controls of the project admin: the form checks, the "Re-scan now" action,
    "running" in the list (one EXISTS inside the list query) and the status on the change form.

    Mixed into ProjectAdmin explicitly (projects/admin.py), the listed UI-composition import."""

    form = ProjectScanForm
    rescan_actions = (rescan_now,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Project]:
        return super().get_queryset(request).annotate(_rescan_running=Exists(_running_subquery()))

    @admin.display(description="re-scan")
    def rescan_column(self, obj: Project) -> str:
        return rescan_column(obj)

    @admin.display(description="re-scan status")
    def rescan_status(self, obj: Project | None) -> str:
        if obj is None or obj.pk is None:
            return "—"
        state = scan_state(project_id=obj.pk)
        if state["running"] is not None:
            return f"{state['state']} (audit #{state['running'].pk}); a second one will not start"
        if state["last"] is not None:
            change = state["change"] or {}
            return (
                f"last: audit #{state['last'].pk}, {change.get('new_count', 0)} new, "
                f"{change.get('fixed_count', 0)} fixed finding(s)"
            )
        return "never scanned"


class AuditRescanAdminMixin:
    """The run of an automated audit (how it was asked for, how it went, the change it found),
    read only on the audit's admin page. Mixed into AuditAdmin explicitly (projects/admin.py)."""

    @admin.display(description="re-scan run")
    def rescan_run_record(self, obj: Audit | None) -> str:
        if obj is None or obj.pk is None or obj.kind != Audit.Kind.AUTOMATED:
            return "—"
        return record_as_html(RescanRun.objects.filter(audit=obj).first())
