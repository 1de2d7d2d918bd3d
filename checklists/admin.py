from django.contrib import admin
from django.db import transaction

from checklists import services
from checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistItemHistory,
    ChecklistTemplate,
    ChecklistTemplateItem,
    ReminderDelivery,
)
from projects.admin_mixins import ProjectScopedAdminMixin


class ChecklistTemplateItemInline(admin.TabularInline):
    model = ChecklistTemplateItem
    extra = 0
    fields = ("order", "section", "text", "guidance", "is_critical", "domain")
    autocomplete_fields = ("domain",)


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "version", "is_active", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (ChecklistTemplateItemInline,)


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    fields = ("section", "text", "is_critical", "state", "note", "evidence_url", "checked_by",
              "checked_at")
    readonly_fields = ("section", "text", "is_critical", "checked_by", "checked_at")
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("checked_by")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Checklist)
class ChecklistAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "project", "owner", "due_date", "template", "created_at")
    list_filter = ("template", ("owner", admin.RelatedOnlyFieldListFilter))
    search_fields = ("title", "project__name", "=project__slug")
    list_select_related = ("project", "owner", "template")
    autocomplete_fields = ("project", "audit", "owner")
    date_hierarchy = "due_date"
    ordering = ("due_date", "id")
    inlines = (ChecklistItemInline,)
    readonly_fields = ("template", "template_version", "created_at", "updated_at")

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_formset(self, request, form, formset, change):
        if formset.model is not ChecklistItem:
            return super().save_formset(request, form, formset, change)
        previous_states = {f.instance.pk: f.initial.get("state") for f in formset.initial_forms}
        with transaction.atomic():
            for item in formset.save(commit=False):
                services.checklist_item_record_change(
                    item=item, previous_state=previous_states.get(item.pk, item.state),
                    user=request.user,
                )
                services.checklist_item_save(item=item)


@admin.register(ChecklistItemHistory)
class ChecklistItemHistoryAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = "item__checklist__project"
    list_display = ("changed_at", "item", "user", "from_state", "to_state")
    list_filter = ("to_state",)
    search_fields = ("item__text", "item__checklist__title", "user__username")
    list_select_related = ("item", "user")
    date_hierarchy = "changed_at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReminderDelivery)
class ReminderDeliveryAdmin(admin.ModelAdmin):
    list_display = ("day", "owner", "status", "attempts", "checklist_count", "sent_at")
    list_filter = ("status", "day")
    search_fields = ("owner__username", "owner__email", "error")
    list_select_related = ("owner",)
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
