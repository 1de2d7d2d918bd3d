"""The tech lead's workflow in the admin: answering items in bulk (one note, one piece of
evidence), the review of a checklist (submit, sign off by someone else, reopen with a reason),
the evidence file revisions and the review log. Thin: every write is a checklists service.

Mixed into `ChecklistAdmin` (checklists/admin.py) by `ChecklistReviewAdminMixin`.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from checklists import services
from checklists.evidence_files import ACCEPTED_HUMAN
from checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistReviewEvent,
    EvidenceFile,
    ItemState,
    ReviewState,
)
from checklists.review import SUBMITTER_CANNOT_SIGN, may_sign_off
from projects.admin_mixins import ProjectScopedAdminMixin


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why it is reopened; kept in the checklist's review log.",
    )


class BulkAnswerForm(forms.Form):
    state = forms.ChoiceField(
        choices=[
            (ItemState.DONE, "Done"),
            (ItemState.NOT_APPLICABLE, "Not applicable"),
            (ItemState.TODO, "To do"),
        ]
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        help_text="One note for every selected item (needed for not applicable).",
    )
    evidence_url = forms.URLField(required=False, assume_scheme="https", max_length=500)
    evidence_file = forms.FileField(
        required=False, help_text=f"Stored once, one revision per item: {ACCEPTED_HUMAN}."
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("state") == ItemState.NOT_APPLICABLE and not (cleaned.get("note") or "").strip():
            self.add_error("note", services.NA_NEEDS_JUSTIFICATION)
        return cleaned


class ChecklistReviewAdminMixin:
    """Review actions, the review page of one checklist, and read-only once signed off."""

    review_actions = ("submit_for_review_selected", "sign_off_selected", "reopen_selected")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.review_state == ReviewState.SIGNED_OFF:
            return False  # read-only until reopened (the review page reopens it)
        return super().has_change_permission(request, obj)

    def has_signoff_permission(self, request):
        return request.user.has_perm("checklists.signoff_checklist")

    def has_reopen_permission(self, request):
        user = request.user
        return user.has_perm("checklists.reopen_checklist") or user.has_perm("checklists.change_checklist")

    def _each(self, request, queryset, act, done: str) -> None:
        count, refused = 0, []
        for checklist in queryset.select_related("project"):
            try:
                act(checklist)
            except (ValidationError, PermissionDenied) as error:
                refused.append(f"{checklist.title}: {_message(error)}")
            else:
                count += 1
        if count:
            self.message_user(request, f"{count} checklist(s) {done}.", messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description="Submit selected checklists for review", permissions=["change"])
    def submit_for_review_selected(self, request, queryset):
        self._each(request, queryset, lambda c: services.submit_for_review(c, user=request.user), "submitted")

    @admin.action(
        description="Sign off selected checklists (not your own submissions)", permissions=["signoff"]
    )
    def sign_off_selected(self, request, queryset):
        self._each(request, queryset, lambda c: services.sign_off(c, user=request.user), "signed off")

    @admin.action(description="Reopen selected checklists (with a reason)", permissions=["reopen"])
    def reopen_selected(self, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(
                request, queryset, lambda c: services.reopen(c, user=request.user, reason=reason), "reopened"
            )
            return None
        return self._action_page(
            request, queryset, action="reopen_selected", title="Reopen checklists", form=form
        )

    # The review page of one checklist -----------------------------------------------------

    def review_urls(self):
        return [
            path(
                "<path:object_id>/review/",
                self.admin_site.admin_view(self.review_view),
                name="checklists_checklist_review",
            )
        ]

    def review_view(self, request, object_id):
        checklist = self.get_object(request, object_id)
        if checklist is None or not self.has_view_permission(request, checklist):
            raise PermissionDenied
        if request.method == "POST":
            return self._review_post(request, checklist)
        return self._review_page(request, checklist, ReasonForm())

    def _review_post(self, request, checklist: Checklist) -> HttpResponse:
        action = request.POST.get("action")
        user = request.user
        may_act = {
            "submit": user.has_perm("checklists.change_checklist"),
            "sign_off": user.has_perm("checklists.signoff_checklist"),
            "reopen": self.has_reopen_permission(request) or user.has_perm("checklists.signoff_checklist"),
        }
        if action not in may_act:
            if not any(may_act.values()):
                raise PermissionDenied
            return HttpResponseBadRequest("Say what to do: submit, sign_off or reopen.")
        if not may_act[action]:
            raise PermissionDenied
        form = ReasonForm(request.POST) if action == "reopen" else None
        if form is not None and not form.is_valid():
            return self._review_page(request, checklist, form, status=400)
        try:
            if action == "submit":
                services.submit_for_review(checklist, user=user)
            elif action == "sign_off":
                services.sign_off(checklist, user=user)
            else:
                services.reopen(checklist, user=user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            messages.error(request, _message(error))
            return self._review_page(request, checklist, form or ReasonForm(), status=400)
        messages.success(request, f"{checklist.title}: {checklist.get_review_state_display().lower()}.")
        return HttpResponseRedirect(reverse("admin:checklists_checklist_review", args=[checklist.pk]))

    def _review_page(self, request, checklist: Checklist, form, status: int = 200) -> TemplateResponse:
        user = request.user
        context = {
            **self.admin_site.each_context(request),
            "title": f"Review of {checklist.title}",
            "media": self.media,
            "opts": self.opts,
            "original": checklist,
            "checklist": checklist,
            "form": form,
            "events": list(checklist.review_events.select_related("user")[:50]),
            "may_submit": checklist.review_state == ReviewState.OPEN
            and user.has_perm("checklists.change_checklist"),
            "may_sign_off": may_sign_off(checklist, user),
            "own_submission": checklist.review_state == ReviewState.SUBMITTED
            and checklist.submitted_by_id == user.pk,
            "submitter_cannot_sign": SUBMITTER_CANNOT_SIGN,
            "may_reopen": checklist.review_state != ReviewState.OPEN
            and (self.has_reopen_permission(request) or user.has_perm("checklists.signoff_checklist")),
        }
        return TemplateResponse(request, "checklists/admin/review.html", context, status=status)


# --- Items: the bulk answer ----------------------------------------------------------------


class CarriedFilter(admin.SimpleListFilter):
    title = "to confirm"
    parameter_name = "confirm"

    def lookups(self, request, model_admin):
        return (("carried", "Carried, to re-confirm"), ("evidence", "Answered from evidence, to confirm"))

    def queryset(self, request, queryset):
        if self.value() == "carried":
            return queryset.filter(carried=True)
        if self.value() == "evidence":
            return queryset.filter(answer_source="evidence", provenance_confirmed_at__isnull=True)
        return queryset


class DeletedWithTheirChecklistMixin:
    """Rows deleted only as part of deleting their checklist, which only admins may do."""

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(ChecklistItem)
class ChecklistItemAdmin(DeletedWithTheirChecklistMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    """Every item of the user's checklists, filtered, to answer many at once."""

    project_path = "checklist__project"
    list_display = (
        "text",
        "checklist",
        "project",
        "section",
        "is_critical",
        "state",
        "carried",
        "answer_source",
        "due",
    )
    list_filter = (
        "state",
        CarriedFilter,
        "is_critical",
        "checklist__review_state",
        ("domain", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("text", "section", "checklist__title", "checklist__project__name")
    list_select_related = ("checklist__project",)
    ordering = ("checklist__due_date", "checklist_id", "order", "id")
    show_full_result_count = False
    list_per_page = 100
    actions = ("answer_selected",)
    readonly_fields = (
        "checklist",
        "text",
        "section",
        "guidance",
        "is_critical",
        "domain",
        "state",
        "note",
        "evidence_url",
        "carried",
        "answer_source",
        "provenance",
        "checked_by",
        "checked_at",
    )
    fields = readonly_fields

    @admin.display(description="project", ordering="checklist__project__name")
    def project(self, obj):
        return obj.checklist.project.name

    @admin.display(description="due", ordering="checklist__due_date")
    def due(self, obj):
        return obj.checklist.due_date or "-"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # Items are answered on their checklist's page or by the bulk action, never one by one here.
        return obj is None and super().has_change_permission(request, obj)

    @admin.action(
        description="Answer selected items (one note, one piece of evidence)", permissions=["change"]
    )
    def answer_selected(self, request, queryset):
        form = BulkAnswerForm(request.POST if "apply" in request.POST else None, request.FILES or None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            try:
                count = services.bulk_answer(
                    list(queryset),
                    user=request.user,
                    state=data["state"],
                    note=data["note"],
                    evidence_url=data["evidence_url"],
                    evidence_file=data["evidence_file"],
                )
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, f"Nothing was answered: {_message(error)}", messages.ERROR)
                return None
            self.message_user(request, f"{count} item(s) answered.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Answer items",
            "opts": self.opts,
            "form": form,
            "items": queryset.select_related("checklist__project")[:200],
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "checklists/admin/answer_items.html", context)


# --- Read-only records -----------------------------------------------------------------------


class ReadOnlyAdmin(DeletedWithTheirChecklistMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnlyAdmin):
    project_path = "item__checklist__project"
    list_display = (
        "original_name",
        "revision",
        "item",
        "download",
        "content_type",
        "size",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    )
    list_filter = ("content_type",)
    search_fields = ("original_name", "=sha256", "item__text", "item__checklist__title")
    list_select_related = ("item", "uploaded_by")
    date_hierarchy = "uploaded_at"
    show_full_result_count = False

    @admin.display(description="file")
    def download(self, obj):
        return format_html('<a href="{}">download</a>', obj.get_download_url())


@admin.register(ChecklistReviewEvent)
class ChecklistReviewEventAdmin(ReadOnlyAdmin):
    project_path = "checklist__project"
    list_display = ("at", "checklist", "action", "user", "reason")
    list_filter = ("action",)
    search_fields = ("checklist__title", "user__username", "reason")
    list_select_related = ("checklist", "user")
    date_hierarchy = "at"
    show_full_result_count = False
