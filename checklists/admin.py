"""Checklists in the admin: template library (with CSV/XLSX import-export), filling checklists
in with evidence and history, starting them from a template, and the reminder log."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from import_export.admin import ImportExportModelAdmin

from checklists import selectors, services
from checklists.admin_forms import (
    ChecklistForm,
    ExtendDueForm,
    OverdueFilter,
    PagedItemsInlineMixin,
    ReassignForm,
    StartChecklistForm,
    owner_choices,
)
from checklists.admin_items import ChecklistItemInline, DeletedWithTheirChecklistMixin
from checklists.admin_review import ChecklistReviewAdminMixin
from checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistItemHistory,
    ChecklistTemplate,
    ChecklistTemplateItem,
    ReminderDelivery,
)
from checklists.resources import ChecklistTemplateItemResource, ChecklistTemplateResource
from projects import access
from projects.admin_mixins import ProjectScopedAdminMixin
from projects.models import Audit
from projects.params import parse_id
from projects.spreadsheets import SpreadsheetLimitsAdminMixin

# --- Templates -----------------------------------------------------------------------------


class ImportExportPermissionsMixin:
    """django-import-export lets anyone into the admin import unless a setting says otherwise:
    importing needs add and change rights on the model, exporting needs view rights."""

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


class ChecklistTemplateItemInline(PagedItemsInlineMixin, admin.TabularInline):
    parent_field = "template"
    model = ChecklistTemplateItem
    template = "checklists/admin/paged_tabular_inline.html"
    extra = 0
    fields = ("order", "section", "text", "guidance", "is_critical", "domain")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("domain")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "domain":
            # A handful of domains: one query for every row's select, not one per row.
            field.choices = list(field.choices)
        return field


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(
    ImportExportPermissionsMixin, SpreadsheetLimitsAdminMixin, ImportExportModelAdmin
):
    resource_classes = [ChecklistTemplateResource]
    list_display = ("name", "slug", "version", "item_count", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("version", "library_version", "created_at", "updated_at")
    inlines = (ChecklistTemplateItemInline,)
    change_form_template = "checklists/admin/template_change_form.html"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(_item_count=Count("items"))

    @admin.display(description="items", ordering="_item_count")
    def item_count(self, obj):
        return obj._item_count

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and (form.has_changed() or any(fs.has_changed() for fs in formsets)):
            # Checklists already started keep their copies; the version tells them apart.
            services.template_bump_version(template_ids=[form.instance.pk])


@admin.register(ChecklistTemplateItem)
class ChecklistTemplateItemAdmin(
    ImportExportPermissionsMixin, SpreadsheetLimitsAdminMixin, ImportExportModelAdmin
):
    resource_classes = [ChecklistTemplateItemResource]
    list_display = ("text", "template", "order", "section", "is_critical", "domain")
    list_filter = ("template", "is_critical", "domain")
    search_fields = ("text", "section", "guidance", "template__name")
    list_select_related = ("template", "domain")
    autocomplete_fields = ("template", "domain")
    ordering = ("template__name", "order", "id")
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            previous = None
            if change:
                previous = (
                    ChecklistTemplateItem.objects.filter(pk=obj.pk)
                    .values_list("template_id", flat=True)
                    .first()
                )
            super().save_model(request, obj, form, change)
            services.template_bump_version(template_ids={obj.template_id, previous} - {None})

    def delete_model(self, request, obj):
        with transaction.atomic():
            template_id = obj.template_id
            super().delete_model(request, obj)
            services.template_bump_version(template_ids=[template_id])

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            template_ids = set(queryset.values_list("template_id", flat=True))
            super().delete_queryset(request, queryset)
            services.template_bump_version(template_ids=template_ids)


# --- Filling checklists in -----------------------------------------------------------------


@admin.register(Checklist)
class ChecklistAdmin(ChecklistReviewAdminMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    form = ChecklistForm
    list_display = (
        "title",
        "project",
        "owner",
        "due_date",
        "progress",
        "critical_open_display",
        "overdue_display",
        "complete",
        "review_state",
        "template_display",
    )
    list_filter = (
        OverdueFilter,
        "review_state",
        ("owner", admin.RelatedOnlyFieldListFilter),
        ("project", admin.RelatedOnlyFieldListFilter),
        "template",
    )
    search_fields = ("title", "project__name", "=project__slug")
    list_select_related = ("project", "owner", "template")
    autocomplete_fields = ("project", "audit")
    date_hierarchy = "due_date"
    ordering = ("due_date", "id")
    show_full_result_count = False
    list_per_page = 50
    inlines = (ChecklistItemInline,)
    readonly_fields = ("template", "template_version", "progress", "status", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("title", "project", "audit", "owner", "due_date")}),
        ("Progress", {"fields": ("progress", "status")}),
        (
            "Origin",
            {
                "classes": ("collapse",),
                "fields": ("template", "template_version", "created_at", "updated_at"),
            },
        ),
    )
    actions = ("reassign", "extend_due_dates", *ChecklistReviewAdminMixin.review_actions)

    class Media:
        css = {"all": ("checklists/admin.css",)}

    change_form_template = "checklists/admin/checklist_change_form.html"
    change_list_template = "checklists/admin/checklist_change_list.html"

    # Queryset and figures ---------------------------------------------------------------

    def get_queryset(self, request):
        return selectors.with_progress(super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "owner":
            kwargs["queryset"] = owner_choices()
        if db_field.name == "audit":
            kwargs["queryset"] = Audit.objects.filter(access.project_scope_q(request.user, "project"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="progress")
    def progress(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        applicable = obj.item_count - obj.na_count
        percent = selectors.progress_percent(done=obj.done_count, applicable=applicable)
        return format_html(
            '<span class="checklist-progress" title="{}% — {} done of {} applicable, {} not '
            'applicable"><progress value="{}" max="{}">{}%</progress> {} / {}</span>',
            percent,
            obj.done_count,
            applicable,
            obj.na_count,
            obj.done_count,
            max(applicable, 1),
            percent,
            obj.done_count,
            applicable,
        )

    @admin.display(description="critical open", ordering="critical_open")
    def critical_open_display(self, obj):
        if obj.critical_open:
            return format_html('<span class="checklist-critical-count">{}</span>', obj.critical_open)
        return 0

    def is_overdue(self, obj) -> bool:
        return bool(obj.due_date and obj.due_date < timezone.localdate() and obj.todo_count)

    @admin.display(description="due", ordering="due_date")
    def overdue_display(self, obj):
        # Not boolean=True: its green tick means "yes", which for "overdue" is the bad news.
        if self.is_overdue(obj):
            days = (timezone.localdate() - obj.due_date).days
            return format_html(
                '<img src="{}" alt="Overdue"> <span class="checklist-overdue">overdue by {} day(s)</span>',
                static("admin/img/icon-alert.svg"),
                days,
            )
        if obj.todo_count == 0:
            return format_html('<img src="{}" alt="Complete"> complete', static("admin/img/icon-yes.svg"))
        if obj.due_date is None:
            return "no due date"
        return format_html('<img src="{}" alt="On time"> on time', static("admin/img/icon-yes.svg"))

    @admin.display(description="complete", boolean=True)
    def complete(self, obj):
        return selectors.is_complete(todo_count=obj.todo_count, critical_open=obj.critical_open)

    @admin.display(description="template", ordering="template__name")
    def template_display(self, obj):
        if obj.template_id is None:
            return "-"
        return f"{obj.template.name} v{obj.template_version or '?'}"

    @admin.display(description="status")
    def status(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        if selectors.is_complete(todo_count=obj.todo_count, critical_open=obj.critical_open):
            return "Complete"
        parts = [f"{obj.todo_count} item(s) to do"]
        if obj.critical_open:
            parts.append(f"{obj.critical_open} critical: cannot be complete until done")
        if obj.due_date and obj.due_date < timezone.localdate():
            parts.append(f"overdue since {obj.due_date:%Y-%m-%d}")
        return "; ".join(parts)

    # Permissions ------------------------------------------------------------------------

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None:
            # Shown under the items (templates/checklists/admin/checklist_change_form.html).
            extra_context["checklist_history"] = selectors.checklist_history(checklist=obj)
            extra_context["evidence_files"] = selectors.checklist_evidence_files(checklist=obj)
            extra_context["review_url"] = reverse("admin:checklists_checklist_review", args=[obj.pk])
            extra_context["diff_url"] = reverse("checklists:diff", args=[obj.pk]) if obj.previous_id else ""
        return super().change_view(request, object_id, form_url, extra_context)

    # Saving items: through the service, which stamps who/when and writes history ----------

    def save_formset(self, request, form, formset, change):
        if formset.model is not ChecklistItem:
            return super().save_formset(request, form, formset, change)
        # Sets formset.new_objects / changed_objects without writing; the service writes.
        formset.save(commit=False)
        edited = [item for item, _fields in formset.changed_objects]
        with transaction.atomic():
            services.checklist_items_update(checklist=form.instance, items=edited, user=request.user)
            for item_form in formset.forms:
                upload = item_form.cleaned_data.get("evidence_file") if item_form.is_valid() else None
                if upload:
                    services.evidence_file_add(item=item_form.instance, upload=upload, user=request.user)
        return None

    # Actions ----------------------------------------------------------------------------

    def _action_page(self, request, queryset, *, action, title, form):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "action": action,
            "checklists": queryset.select_related("project", "owner")[:200],
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "count": len(request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME)),
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "checklists/admin/action_form.html", context)

    @admin.action(description="Reassign selected checklists to another owner", permissions=["change"])
    def reassign(self, request, queryset):
        form = ReassignForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            owner = form.cleaned_data["owner"]
            count = services.checklists_reassign(checklists=queryset, owner=owner)
            self.message_user(
                request, f"{count} checklist(s) now owned by {owner.get_username()}.", messages.SUCCESS
            )
            return None
        return self._action_page(request, queryset, action="reassign", title="Reassign checklists", form=form)

    @admin.action(description="Extend due dates of selected checklists", permissions=["change"])
    def extend_due_dates(self, request, queryset):
        form = ExtendDueForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            days = form.cleaned_data["days"]
            count = services.checklists_extend_due(checklists=queryset, days=days)
            self.message_user(
                request, f"Due date of {count} checklist(s) extended by {days} day(s).", messages.SUCCESS
            )
            return None
        return self._action_page(
            request, queryset, action="extend_due_dates", title="Extend due dates", form=form
        )

    # Start a checklist from a template --------------------------------------------------

    def get_urls(self):
        return [
            path("start/", self.admin_site.admin_view(self.start_view), name="checklists_checklist_start"),
            *self.review_urls(),
            *super().get_urls(),
        ]

    def start_view(self, request):
        """Start one checklist per chosen project from a template. Linked from the project
        page (?project=<id>) and from the "Start a checklist" action on projects."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = StartChecklistForm(request.POST, user=request.user)
        else:
            wanted = [pk for pk in map(parse_id, request.GET.getlist("project")) if pk is not None]
            visible = access.visible_projects(request.user)
            if wanted and visible.filter(pk__in=wanted).count() != len(set(wanted)):
                raise PermissionDenied  # a project the user may not see
            initial = {
                "projects": wanted,
                "due_date": timezone.localdate() + dt.timedelta(days=14),
                "template": parse_id(request.GET.get("template")),
            }
            if len(wanted) == 1:
                lead_id = visible.filter(pk=wanted[0]).values_list("tech_lead_id", flat=True).first()
                initial["owner"] = lead_id
            form = StartChecklistForm(initial=initial, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                started = [
                    services.checklist_start(
                        project=project,
                        template=data["template"],
                        owner=data["owner"] or project.tech_lead,
                        due_date=data["due_date"],
                        title=data["title"],
                    )
                    for project in data["projects"]
                ]
            self.message_user(
                request,
                f"Started {len(started)} checklist(s) from {data['template']}.",
                messages.SUCCESS,
            )
            if len(started) == 1:
                return HttpResponseRedirect(started[0].get_admin_url())
            return HttpResponseRedirect(
                reverse("admin:checklists_checklist_changelist")
                + "?"
                + urlencode({"template__id__exact": data["template"].pk})
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Start a checklist",
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "checklists/admin/start_checklist.html", context)


@admin.register(ChecklistItemHistory)
class ChecklistItemHistoryAdmin(DeletedWithTheirChecklistMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = "item__checklist__project"
    list_display = ("changed_at", "item", "checklist", "user", "from_state", "to_state")
    list_filter = ("to_state",)
    search_fields = ("item__text", "item__checklist__title", "user__username")
    list_select_related = ("item__checklist", "user")
    date_hierarchy = "changed_at"
    show_full_result_count = False

    @admin.display(description="checklist")
    def checklist(self, obj):
        return obj.item.checklist

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "day",
        "owner",
        "status",
        "attempts",
        "checklist_count",
        "last_attempt_at",
        "sent_at",
        "short_error",
    )
    list_filter = ("status", "day")
    search_fields = ("owner__username", "owner__email", "error")
    list_select_related = ("owner",)
    date_hierarchy = "day"
    show_full_result_count = False
    readonly_fields = (
        "owner",
        "day",
        "status",
        "attempts",
        "checklist_count",
        "error",
        "attempts_table",
        "claim_token",
        "claimed_at",
        "last_attempt_at",
        "sent_at",
    )

    actions = ("release_for_retry",)

    @admin.action(description="Release stuck or failed deliveries for the next run", permissions=["release"])
    def release_for_retry(self, request, queryset):
        count = services.reminder_deliveries_release(deliveries=queryset, user=request.user)
        self.message_user(request, f"{count} delivery(ies) will be sent by the next run.", messages.SUCCESS)

    def has_release_permission(self, request):
        # Re-sending may send a digest twice when a stuck one had in fact left: admins decide.
        return request.user.is_superuser

    @admin.display(description="attempts log")
    def attempts_table(self, obj):
        return (
            format_html_join(
                mark_safe("<br>"),
                "{} — {}{}",  # noqa: S308 (constant markup)
                (
                    (
                        entry.get("at", "?"),
                        entry.get("outcome", "?"),
                        f": {entry['error']}" if entry.get("error") else "",
                    )
                    for entry in obj.attempt_log
                ),
            )
            or "-"
        )

    @admin.display(description="error")
    def short_error(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
