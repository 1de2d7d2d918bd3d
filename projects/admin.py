from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count

# UI composition, the only upward imports of the projects app (docs/architecture.md): the
# project and audit admins show the re-scan controls, the checklist start action and the report
# import of the apps above.
from checklists.admin_actions import start_audit_from_previous, start_checklist_for_projects  # noqa: E402, I001
from projects import access
from projects.admin_mixins import STRICT_FORMFIELDS, ProjectScopedAdminMixin
from projects.models import Audit, DomainScore, MaturityDomain, Project
from reports.admin_views import ReportImportAdminMixin  # noqa: E402
from rescans.admin_actions import AuditRescanAdminMixin, ProjectRescanAdminMixin  # noqa: E402


@admin.register(Project)
class ProjectAdmin(ProjectRescanAdminMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = ""
    list_display = (
        "name",
        "slug",
        "tech_lead",
        "is_active",
        "branch",
        "scan_schedule",
        "next_scan_at",
        "audit_count",
        "updated_at",
        "rescan_column",
    )
    actions = (
        *ProjectRescanAdminMixin.rescan_actions,
        start_checklist_for_projects,
        start_audit_from_previous,
    )
    list_filter = ("is_active", ("tech_lead", admin.RelatedOnlyFieldListFilter))
    search_fields = ("name", "slug", "description", "repository_url")
    list_select_related = ("tech_lead",)
    autocomplete_fields = ("tech_lead", "members")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("name",)
    readonly_fields = ("created_at", "updated_at", "rescan_status")
    fieldsets = (
        (None, {"fields": ("name", "slug", "description", "is_active")}),
        ("People", {"fields": ("tech_lead", "members")}),
        (
            "Repository and re-scans",
            {
                "fields": (
                    "repository_url",
                    "branch",
                    "scan_schedule",
                    "next_scan_at",
                    "enabled_scanners",
                    "rescan_status",
                ),
            },
        ),
        (
            "Days to fix findings (SLA)",
            {
                "description": "Empty: the global setting (critical 7, high 30, medium 90, low 180 "
                "days by default). A finding keeps the due date it got when first seen.",
                "fields": ("sla_critical_days", "sla_high_days", "sla_medium_days", "sla_low_days"),
            },
        ),
        ("History", {"classes": ("collapse",), "fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_audit_count=Count("audits"))

    @admin.display(description="audits", ordering="_audit_count")
    def audit_count(self, obj):
        return obj._audit_count


@admin.register(MaturityDomain)
class MaturityDomainAdmin(admin.ModelAdmin):
    formfield_overrides = STRICT_FORMFIELDS
    list_display = ("name", "slug", "weight", "display_order", "aliases")
    list_editable = ("weight", "display_order")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    ordering = ("display_order", "name")


class DomainScoreInline(admin.TabularInline):
    model = DomainScore
    extra = 0
    fields = ("domain", "score", "source", "rationale", "formula_version")
    readonly_fields = ("formula_version",)
    autocomplete_fields = ("domain",)
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("domain")


@admin.register(Audit)
class AuditAdmin(ReportImportAdminMixin, AuditRescanAdminMixin, ProjectScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "title",
        "project",
        "kind",
        "audit_date",
        "status",
        "stated_verdict",
        "computed_verdict",
        "global_score",
        "auditor",
    )
    list_filter = (
        "kind",
        "status",
        "stated_verdict",
        "computed_verdict",
        "is_self_attested",
        ("project", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("title", "project__name", "project__slug", "version_label", "commit_sha")
    list_select_related = ("project", "auditor")
    autocomplete_fields = ("project", "auditor")
    date_hierarchy = "audit_date"
    ordering = ("-audit_date", "-id")
    inlines = (DomainScoreInline,)
    readonly_fields = (
        "global_score",
        "computed_verdict",
        "created_at",
        "updated_at",
        "started_at",
        "finished_at",
        "source_sha256",
        "warnings",
        "unmeasured_domains",
        "rescan_run_record",
        "report_source_record",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "project",
                    "title",
                    "kind",
                    "version_label",
                    "auditor",
                    "audit_date",
                    "valid_until",
                    "commit_sha",
                    "status",
                )
            },
        ),
        (
            "Verdict and scores",
            {
                "fields": (
                    "stated_verdict",
                    "computed_verdict",
                    "global_score",
                    "stated_global_score",
                    "summary",
                    "is_self_attested",
                )
            },
        ),
        (
            "Tests and coverage",
            {
                "fields": (
                    ("tests_passed", "tests_failed", "tests_errors", "tests_skipped"),
                    "tests_duration_seconds",
                    ("coverage_percent", "branch_coverage_percent"),
                )
            },
        ),
        (
            "Security and size",
            {
                "fields": (
                    ("security_critical", "security_high", "security_medium", "security_low"),
                    ("files_count", "lines_of_code", "warnings_count"),
                    "extra_metrics",
                )
            },
        ),
        (
            "Provenance",
            {
                "classes": ("collapse",),
                "fields": (
                    "source_sha256",
                    "warnings",
                    "started_at",
                    "finished_at",
                    "unmeasured_domains",
                    "rescan_run_record",
                    "report_source_record",
                    "created_at",
                    "updated_at",
                ),
            },
        ),
    )


@admin.register(DomainScore)
class DomainScoreAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    project_path = "audit__project"
    list_display = ("audit", "domain", "score", "source", "formula_version", "updated_at")
    list_filter = ("source", "domain")
    search_fields = ("audit__title", "audit__project__name", "domain__name", "rationale")
    list_select_related = ("audit__project", "domain")
    autocomplete_fields = ("audit", "domain")
    ordering = ("-audit__audit_date", "domain__display_order")
    show_full_result_count = False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "audit" and not access.sees_all_projects(request.user):
            kwargs["queryset"] = Audit.objects.filter(access.project_scope_q(request.user, "project"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


User = get_user_model()


class UserPickerAdmin(UserAdmin):
    """Django's autocomplete asks the User admin for *view* permission, which only admins
    have: a tech lead setting a finding's assignee, or an auditor choosing an audit's auditor,
    got 403 ("The results could not be loaded"). An autocomplete request for a user field of
    a form its sender may fill in (an autocomplete field of an admin they may add or change
    in) is allowed, listing active accounts by name only; the user admin itself stays closed.
    """

    PICKER_SEARCH_FIELDS = ("username", "first_name", "last_name")

    def picker_source(self, request):
        """The admin whose form is asking for users, when this is such an autocomplete."""
        match = getattr(request, "resolver_match", None)
        if match is None or match.url_name != "autocomplete":
            return None
        try:
            model = apps.get_model(request.GET["app_label"], request.GET["model_name"])
            field = model._meta.get_field(request.GET["field_name"])
        except (KeyError, LookupError, ValueError, FieldDoesNotExist):
            return None
        source = self.admin_site._registry.get(model)
        if (
            source is None
            or getattr(field, "related_model", None) is not self.model
            or field.name not in source.get_autocomplete_fields(request)
        ):
            return None
        if not (source.has_change_permission(request) or source.has_add_permission(request)):
            return None
        return source

    def _sees_users(self, request) -> bool:
        return super().has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        if super().has_view_permission(request, obj):
            return True
        return obj is None and self.picker_source(request) is not None

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if not self._sees_users(request):
            queryset = queryset.filter(is_active=True)
        return queryset

    def get_search_fields(self, request):
        if self._sees_users(request):
            return super().get_search_fields(request)
        return self.PICKER_SEARCH_FIELDS


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, UserPickerAdmin)

# The upload jobs' list (kept apart to keep this module short).
import projects.admin_jobs  # noqa: E402, F401
