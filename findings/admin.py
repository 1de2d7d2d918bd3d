from django.contrib import admin

from findings.models import ApiToken, Finding, ImportRun
from projects import access
from projects.admin_mixins import ProjectScopedAdminMixin


@admin.register(Finding)
class FindingAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    list_display = ("title", "project", "severity", "status", "domain", "tool", "rule_id",
                    "file_path", "line", "assignee", "last_seen_at")
    list_filter = ("severity", "status", "tool", "domain")
    search_fields = ("title", "rule_id", "file_path", "fingerprint", "=project__slug")
    list_select_related = ("project", "domain", "assignee")
    autocomplete_fields = ("project", "domain", "assignee")
    raw_id_fields = ("first_seen_audit", "last_seen_audit", "resolved_by_import")
    ordering = ("-severity", "-id")
    show_full_result_count = False
    list_per_page = 50
    readonly_fields = ("fingerprint", "first_seen_at", "last_seen_at", "fixed_at", "reopened_at",
                       "status_changed_at", "resolved_by_import", "created_at", "updated_at")
    # What a tech lead may change on their own project's findings; the rest is read-only.
    tech_lead_editable = ("status", "assignee")

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        user = request.user
        if user.is_superuser or access.has_role(user, access.AUDITOR):
            return readonly
        return [f.name for f in self.model._meta.fields
                if f.name not in self.tech_lead_editable and f.name != "id"]


@admin.register(ImportRun)
class ImportRunAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "project", "format", "tool", "file_name", "status",
                    "created_count", "still_open_count", "reopened_count", "resolved_count",
                    "duration_ms")
    list_filter = ("status", "format", "tool")
    search_fields = ("file_name", "sha256", "=project__slug", "project__name")
    list_select_related = ("project", "audit", "user", "token")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "project", "prefix", "created_by", "created_at", "last_used_at",
                    "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "project__name", "=project__slug")
    list_select_related = ("project", "created_by")
    autocomplete_fields = ("project",)
    readonly_fields = ("prefix", "token_hash", "created_by", "created_at", "last_used_at")
    ordering = ("project__name", "name")
