from django.contrib import admin, messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportMixin

from findings import sla
from findings.admin_scan_upload import ScanUploadAdminMixin
from findings.admin_triage import TriageJobAdminMixin
from findings.models import ApiToken, Finding, FindingComment, ImportRun
from findings.paginators import CappedCountPaginator
from findings.resources import FindingResource
from findings.selectors import tools_in_use
from findings.services.comments import comment_add
from findings.services.tokens import api_token_fill_secret, api_token_revoke
from findings.services.triage import change_finding
from projects import access
from projects.admin_mixins import ProjectScopedAdminMixin
from projects.spreadsheets import SpreadsheetLimitsAdminMixin

# Fields of the change form written by the triage service, not by the form itself.
TRIAGE_FORM_FIELDS = ("status", "assignee")


class ToolListFilter(admin.SimpleListFilter):
    """Filter by tool without a DISTINCT over the whole findings table on every page view.

    For users who see every project the list is read by skipping through the tool index (a
    DISTINCT over ten million findings took 1.85 s) and cached for a few minutes; for tech leads
    it is read from their own projects.
    """

    title = "tool"
    parameter_name = "tool"
    CACHE_KEY = "findings:admin:tools"
    CACHE_SECONDS = 300

    def lookups(self, request, model_admin):
        def distinct_tools(queryset):
            return list(queryset.exclude(tool="").order_by("tool").values_list("tool", flat=True).distinct())

        if access.sees_all_projects(request.user):
            tools = cache.get_or_set(self.CACHE_KEY, tools_in_use, self.CACHE_SECONDS)
        else:
            tools = distinct_tools(Finding.objects.filter(access.project_scope_q(request.user, "project")))
        return [(tool, tool) for tool in tools]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(tool=self.value())
        return queryset


class SlaStateFilter(admin.SimpleListFilter):
    """On track, due soon or breached: open findings by their SLA due date."""

    title = "SLA"
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [(key, label) for key, label in sla.STATE_LABELS.items()]

    def queryset(self, request, queryset):
        if self.value() in sla.STATE_LABELS:
            return queryset.filter(sla.state_q(self.value(), timezone.now()))
        return queryset


class FindingCommentInline(admin.TabularInline):
    """The finding's thread: everyone who sees the finding reads it; whoever may change the
    finding adds notes (never edits or deletes one)."""

    model = FindingComment
    extra = 1
    fields = ("created_at", "author", "body", "internal")
    readonly_fields = ("created_at", "author")
    can_delete = False
    verbose_name = "comment"
    verbose_name_plural = "comments (@username adds a watcher; internal notes stay out of exports)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("findings.view_finding")

    def has_add_permission(self, request, obj=None):
        return obj is not None and request.user.has_perm("findings.change_finding")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Finding)
class FindingAdmin(
    ProjectScopedAdminMixin,
    TriageJobAdminMixin,
    SpreadsheetLimitsAdminMixin,
    ImportExportMixin,
    admin.ModelAdmin,
):
    list_display = (
        "title",
        "project",
        "severity",
        "status",
        "domain",
        "tool",
        "rule_id",
        "file_path",
        "line",
        "assignee",
        "last_seen_at",
        "sla_due_at",
    )
    list_filter = ("severity", "status", SlaStateFilter, "fixed_within_sla", ToolListFilter, "domain")
    search_fields = ("title", "rule_id", "file_path", "fingerprint", "=project__slug")
    list_select_related = ("project", "domain", "assignee")
    autocomplete_fields = ("project", "domain", "assignee")
    raw_id_fields = ("first_seen_audit", "last_seen_audit", "resolved_by_import")
    ordering = ("-severity", "-id")
    show_full_result_count = False
    paginator = CappedCountPaginator  # the page count costs the same at 10 million findings
    list_per_page = 50
    readonly_fields = (
        "fingerprint",
        "first_seen_at",
        "last_seen_at",
        "fixed_at",
        "reopened_at",
        "status_changed_at",
        "resolved_by_import",
        "sla_due_at",
        "fixed_within_sla",
        "created_at",
        "updated_at",
    )
    # What a tech lead may change on their own project's findings; the rest is read-only.
    tech_lead_editable = ("status", "assignee")
    # Spreadsheet triage (django-import-export): CSV, XLSX and JSON, within the import limits.
    resource_classes = [FindingResource]
    inlines = (FindingCommentInline,)
    # Watchers join by an @mention in a comment; the form shows them, it does not edit them.
    exclude = ("watchers",)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        user = request.user
        if user.is_superuser or access.has_role(user, access.AUDITOR):
            return (*readonly, "watcher_names", "exception_links")
        return [
            *(f.name for f in self.model._meta.fields if f.name not in (*self.tech_lead_editable, "id")),
            "watcher_names",
            "exception_links",
        ]

    @admin.display(description="exceptions")
    def exception_links(self, obj):
        """The exceptions asked for this finding (the governance app's rows, read through the
        reverse relation), and where to ask for one."""
        if obj is None or obj.pk is None:
            return "—"
        rows = [
            format_html(
                '<a href="{}">#{} {} ({})</a>',
                reverse("admin:governance_policyexception_change", args=[e.pk]),
                e.pk,
                e.get_reason_display().lower(),
                e.get_state_display().lower(),
            )
            for e in obj.exceptions.order_by("-pk")[:10]
        ]
        ask = format_html(
            '<a href="{}?finding={}">Request an exception</a>',
            reverse("admin:governance_policyexception_add"),
            obj.pk,
        )
        return format_html_join(" · ", "{}", [(row,) for row in [*rows, ask]])

    @admin.display(description="watchers")
    def watcher_names(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        return ", ".join(sorted(u.get_username() for u in obj.watchers.all())) or "—"

    def get_inline_instances(self, request, obj=None):
        # A change posted without the comment rows (a script, an older form) still saves the
        # finding: the thread's formset only takes part when its rows were posted.
        if request.method == "POST" and "comments-TOTAL_FORMS" not in request.POST:
            return []
        return super().get_inline_instances(request, obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not FindingComment:
            return super().save_formset(request, form, formset, change)
        for comment in formset.save(commit=False):
            try:
                comment_add(
                    finding=form.instance, author=request.user, body=comment.body, internal=comment.internal
                )
            except ValidationError as exc:
                messages.error(request, f"The comment was not added: {' '.join(exc.messages)}")
        return None

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user}

    def save_model(self, request, obj, form, change):
        # The status and the assignee go through the triage service (the API's path too): the
        # row is saved first with the values it had, then changed by `change_finding`, which asks
        # governance for accepted risk / false positive (a pending exception; the status stays as
        # it was until someone else approves it) and moves the SLA clock.
        if not change or "severity" in form.changed_data:
            sla.fill(obj)  # the clock keeps its start; only its length follows the severity
        wanted = {}
        for name in TRIAGE_FORM_FIELDS:
            if name in form.changed_data:
                wanted[name] = getattr(obj, name)
                setattr(obj, f"{name}_id" if name == "assignee" else name, form.initial.get(name))
        super().save_model(request, obj, form, change)
        if not wanted:
            return
        try:
            exception = change_finding(obj, user=request.user, **wanted)
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                messages.error(request, f"The {field} was not changed: {' '.join(problems)}")
            return
        if exception is not None:
            requested = Finding.Status(wanted["status"]).label.lower()
            messages.warning(
                request,
                f"Closing it as {requested} needs an approved exception: exception #{exception.pk} "
                "waits for someone else's approval; until then the finding stays as it was.",
            )

    def has_import_permission(self, request):
        return request.user.has_perm("findings.change_finding")

    def has_export_permission(self, request):
        return request.user.has_perm("findings.view_finding")


@admin.register(ImportRun)
class ImportRunAdmin(ProjectScopedAdminMixin, ScanUploadAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "project",
        "format",
        "tool",
        "file_name",
        "status",
        "created_count",
        "still_open_count",
        "reopened_count",
        "resolved_count",
        "duration_ms",
    )
    list_filter = ("status", "format", "tool")
    search_fields = ("file_name", "sha256", "=project__slug", "project__name")
    list_select_related = ("project", "audit", "user", "token")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    show_full_result_count = False
    change_list_template = "admin/findings/importrun/change_list.html"
    change_form_template = "admin/findings/importrun/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "project", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "project__name", "=project__slug")
    list_select_related = ("project", "created_by")
    autocomplete_fields = ("project",)
    readonly_fields = ("prefix", "token_hash", "created_by", "created_at", "last_used_at", "revoked_at")
    ordering = ("project__name", "name")
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("project", "name")
        return ("project", "name", "prefix", "created_by", "created_at", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("project", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if not change:
            obj._raw_secret = api_token_fill_secret(token=obj)
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        # The secret is shown once, in this response only: it is never stored or put in a cookie.
        return TemplateResponse(
            request,
            "admin/findings/apitoken/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "token": obj,
                "secret": obj._raw_secret,
                "title": "API token created",
                "upload_path": reverse("findings-scan-upload", args=[obj.project.slug]),
            },
        )

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request, queryset):
        count = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
            count += 1
        messages.success(request, f"Revoked {count} token(s).")
