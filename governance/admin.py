from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from governance import services
from governance.models import PolicyException, State
from projects import access
from projects.admin_mixins import ProjectScopedAdminMixin

REQUEST_FIELDS = (
    "project",
    "finding",
    "tool",
    "rule_id",
    "checklist_item",
    "reason",
    "justification",
    "expires_on",
)


# The generic classes of the type stubs; Django's own classes take no type arguments at run time.
if TYPE_CHECKING:
    _RequestFormBase = forms.ModelForm[PolicyException]
    _ExceptionAdminBase = admin.ModelAdmin[PolicyException]
else:
    _RequestFormBase = forms.ModelForm
    _ExceptionAdminBase = admin.ModelAdmin


class ExceptionRequestForm(_RequestFormBase):
    """The request form: the service checks it (target, reason, expiry, rights) before saving."""

    class Meta:
        model = PolicyException
        fields = REQUEST_FIELDS

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["project"].required = False
        self.fields["project"].help_text = "Rule exceptions only (a finding or an item names its project)."
        self.fields["expires_on"].help_text = (
            "Required for an accepted risk; left empty, it is 90 days from today (setting "
            "EXCEPTION_DEFAULT_EXPIRY_DAYS)."
        )

    def clean(self) -> dict[str, Any]:
        # ModelForm.clean() always gives back cleaned_data; the stubs allow a plain form's None.
        data = cast(dict[str, Any], super().clean())
        if self.errors:
            return data
        try:
            self.checked = services.exception_request(
                user=self.user,
                reason=data.get("reason") or "",
                justification=data.get("justification") or "",
                finding=data.get("finding"),
                checklist_item=data.get("checklist_item"),
                project=data.get("project"),
                tool=data.get("tool") or "",
                rule_id=data.get("rule_id") or "",
                expires_on=data.get("expires_on"),
                save=False,
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None
        except PermissionDenied as exc:
            raise ValidationError(str(exc)) from None
        return data


@admin.register(PolicyException)
class PolicyExceptionAdmin(ProjectScopedAdminMixin, _ExceptionAdminBase):
    list_display = (
        "id",
        "subject_link",
        "project",
        "reason",
        "origin",
        "state",
        "expires_on",
        "requested_by",
        "approved_by",
        "created_at",
    )
    list_filter = ("state", "reason", "origin", "target", "legacy")
    search_fields = ("justification", "tool", "rule_id", "finding__title", "=project__slug")
    list_select_related = ("project", "requested_by", "approved_by", "finding", "checklist_item")
    raw_id_fields = ("finding", "checklist_item")
    autocomplete_fields = ("project",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["approve_selected", "reject_selected", "revoke_selected"]
    change_form_template = "governance/admin/change_form.html"

    # Nobody edits an exception in place: requests are new rows, decisions go through the
    # buttons and actions below (which apply the four-eyes rule).
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_approve_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.APPROVE_PERMISSION)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(services.REQUEST_PERMISSION) or self.has_approve_permission(request)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return REQUEST_FIELDS
        return (
            "project",
            "target",
            "finding",
            "tool",
            "rule_id",
            "checklist_item",
            "reason",
            "justification",
            "state",
            "expires_on",
            "origin",
            "requested_by",
            "approved_by",
            "decided_by",
            "decided_at",
            "legacy",
            "end_note",
            "created_at",
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        class RequestForm(ExceptionRequestForm):
            def __init__(self, *args: Any, **inner: Any) -> None:
                super().__init__(*args, user=user, **inner)

        kwargs["form"] = RequestForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_changeform_initial_data(request)
        for name in ("finding", "checklist_item", "project"):
            value = request.GET.get(name, "")
            if value.isdigit() and value.isascii():
                initial[name] = int(value)
        return initial

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            raise PermissionDenied
        form.checked.save()
        form.instance = form.checked
        obj.pk = form.checked.pk

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> HttpResponse:
        messages.success(request, f"Exception #{obj.pk} requested: someone else must approve it.")
        return HttpResponseRedirect(reverse("admin:governance_policyexception_change", args=[obj.pk]))

    @admin.display(description="covers")
    def subject_link(self, obj: PolicyException) -> str:
        if obj.finding_id and obj.finding is not None:
            url = reverse("admin:findings_finding_change", args=[obj.finding_id])
            return format_html('<a href="{}">{}</a>', url, obj.finding.title[:80])
        if obj.checklist_item_id and obj.checklist_item is not None:
            return f"Checklist item: {obj.checklist_item.text[:80]}"
        return f"Rule {obj.tool} / {obj.rule_id}"

    # --- decisions: buttons on the page and changelist actions -----------------------------
    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/approve/",
                wrap(self.decide_view),
                {"decision": "approve"},
                name="governance_policyexception_approve",
            ),
            path(
                "<path:object_id>/reject/",
                wrap(self.decide_view),
                {"decision": "reject"},
                name="governance_policyexception_reject",
            ),
            path(
                "<path:object_id>/revoke/",
                wrap(self.decide_view),
                {"decision": "revoke"},
                name="governance_policyexception_revoke",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str, decision: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, object_id)
        if obj is None:
            obj = get_object_or_404(PolicyException.objects.none())
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        note = request.POST.get("note", "")[:2000]
        try:
            _decide(obj, decision, request.user, note)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Exception #{obj.pk} {obj.get_state_display().lower()}.")
        return HttpResponseRedirect(reverse("admin:governance_policyexception_change", args=[obj.pk]))

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        obj = kwargs.get("obj") or context.get("original")
        if obj is not None:
            user = request.user
            context["can_decide"] = obj.state == State.PENDING and services.can_approve(user, obj)
            context["is_requester"] = obj.requested_by_id == user.pk
            context["can_revoke"] = obj.state in (State.PENDING, State.APPROVED) and (
                (context["is_requester"] and access.can_see_project(user, obj.project))
                or services.can_approve(user, obj)
            )
        return super().render_change_form(request, context, *args, **kwargs)

    def _bulk(self, request: HttpRequest, queryset: Any, decision: str) -> None:
        done, refused = 0, []
        for obj in queryset.select_related("project"):
            try:
                _decide(obj, decision, request.user, "")
                done += 1
            except (ValidationError, PermissionDenied) as exc:
                refused.append(f"#{obj.pk}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        if done:
            messages.success(request, f"{done} exception(s) {decision}d.")
        if refused:
            messages.error(request, "Not done: " + "; ".join(refused[:20]))

    @admin.action(description="Approve selected exceptions", permissions=["approve"])
    def approve_selected(self, request: HttpRequest, queryset: Any) -> None:
        self._bulk(request, queryset, "approve")

    @admin.action(description="Reject selected exceptions", permissions=["approve"])
    def reject_selected(self, request: HttpRequest, queryset: Any) -> None:
        self._bulk(request, queryset, "reject")

    @admin.action(description="Revoke selected exceptions", permissions=["revoke"])
    def revoke_selected(self, request: HttpRequest, queryset: Any) -> None:
        self._bulk(request, queryset, "revoke")


def _decide(obj: PolicyException, decision: str, user: Any, note: str) -> None:
    if decision == "approve":
        services.exception_approve(exception=obj, user=user)
    elif decision == "reject":
        services.exception_reject(exception=obj, user=user, note=note)
    else:
        services.exception_revoke(exception=obj, user=user, note=note)
