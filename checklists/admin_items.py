"""Checklist items in the admin: the items inline of a checklist's page (answers, evidence
files), the items changelist with the bulk answer (one note, one piece of evidence), and the
read-only lists of evidence file revisions and of the review log. Every write is a service.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from checklists import services
from checklists.admin_forms import ChecklistItemForm, PagedItemsInlineMixin
from checklists.admin_review import error_text
from checklists.evidence_files import ACCEPTED_HUMAN
from checklists.models import ChecklistItem, ChecklistReviewEvent, EvidenceFile, ItemState
from projects.admin_mixins import ProjectScopedAdminMixin, check_date_in_range


class ChecklistItemInline(PagedItemsInlineMixin, admin.TabularInline):
    model = ChecklistItem
    form = ChecklistItemForm
    template = "checklists/admin/items_inline.html"
    extra = 0
    fields = (
        "item",
        "state",
        "note",
        "evidence_url",
        "evidence_expires_on",
        "evidence_file",
        "evidence",
        "checked_by",
        "checked_at",
    )
    readonly_fields = ("item", "evidence", "checked_by", "checked_at")
    can_delete = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("checked_by", "domain")
            .prefetch_related("evidence_files")
        )

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_signed_off:
            return False  # signed off: read-only until reopened
        return super().has_change_permission(request, obj)

    @admin.display(description="evidence files")
    def evidence(self, obj):
        # Revisions newest first (prefetched: one query for the page); the latest is the answer's.
        rows = list(obj.evidence_files.all())
        if not rows:
            return "-"
        latest = rows[0]
        older = f" (+{len(rows) - 1} older)" if len(rows) > 1 else ""
        return format_html(
            '<a href="{}" title="SHA-256 {}">rev. {}, {} bytes</a>{}',
            latest.get_download_url(),
            latest.sha256,
            latest.revision,
            latest.size,
            older,
        )

    @admin.display(description="item")
    def item(self, obj):
        badge = mark_safe('<span class="checklist-critical">CRITICAL</span> ') if obj.is_critical else ""  # noqa: S308 (constant markup)
        if obj.carried:
            badge += mark_safe('<span class="checklist-carried">CARRIED, TO RE-CONFIRM</span> ')  # noqa: S308 (constant markup)
        elif obj.awaits_confirmation:
            badge += format_html(
                '<span class="checklist-evidence" title="{}">FROM EVIDENCE, TO CONFIRM</span> ',
                obj.provenance.get("summary", ""),
            )
        domain = (
            format_html(' <span class="checklist-domain">[{}]</span>', obj.domain.name)
            if obj.domain_id
            else ""
        )
        guidance = (
            format_html('<small class="checklist-guidance">{}</small>', obj.guidance) if obj.guidance else ""
        )
        return format_html("{}{}{}{}", badge, obj.text, domain, guidance)


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
    evidence_expires_on = forms.DateField(
        required=False,
        label="Evidence valid until",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[check_date_in_range],
        help_text="A re-audit after this date does not carry the link and files.",
    )
    evidence_file = forms.FileField(
        required=False, help_text=f"Stored once, one revision per item: {ACCEPTED_HUMAN}."
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("state") == ItemState.NOT_APPLICABLE and not (cleaned.get("note") or "").strip():
            self.add_error("note", services.NA_NEEDS_JUSTIFICATION)
        return cleaned


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
    actions = ("answer_selected", "confirm_selected")
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
        description="Confirm selected carried and evidence answers as they are", permissions=["change"]
    )
    def confirm_selected(self, request, queryset):
        try:
            count = services.confirm_items(list(queryset), user=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.message_user(request, f"Nothing was confirmed: {error_text(error)}", messages.ERROR)
            return
        self.message_user(
            request, f"{count} answer(s) confirmed; the others had nothing to confirm.", messages.SUCCESS
        )

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
                    evidence_expires_on=data["evidence_expires_on"],
                    evidence_file=data["evidence_file"],
                )
            except (ValidationError, PermissionDenied) as error:
                self.message_user(request, f"Nothing was answered: {error_text(error)}", messages.ERROR)
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
