"""The upload jobs' list (admin → Projects → Upload jobs): read only, for following and
diagnosing large previews and imports run by a worker (projects/upload_jobs.py).

Scoping follows projects/access.py: admins, managers and auditors see every job; a tech lead
sees the jobs of the projects they see, and their own uploads that name no project (a triage
sheet, a report). The file's preview stays on the job's own page, which only its uploader and
admins open (`job_visible`); the list links to it for them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from projects import access
from projects.admin_mixins import ProjectScopedAdminMixin
from projects.job_models import UploadJob

# The page of each kind of job (registered by the upload's own admin).
JOB_PAGES = {
    UploadJob.Kind.SCAN_PREVIEW: "admin:findings_importrun_upload_job",
    UploadJob.Kind.FINDINGS_TRIAGE: "admin:findings_finding_import_job",
    UploadJob.Kind.REPORT: "admin:projects_audit_import_report_job",
}


@admin.register(UploadJob)
class UploadJobAdmin(ProjectScopedAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "kind",
        "file_name",
        "project",
        "user",
        "step",
        "state",
        "progress",
        "finished_at",
    )
    list_filter = ("kind", "state", "step")
    search_fields = ("file_name", "project__name", "user__username", "error_message")
    list_select_related = ("project", "user")
    show_full_result_count = False
    fields = (
        "kind",
        "step",
        "state",
        "progress",
        "file_name",
        "project",
        "user",
        "error_message",
        "created_at",
        "updated_at",
        "finished_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if access.sees_all_projects(request.user):
            return qs
        own_unplaced = Q(user=request.user, project__isnull=True)
        return qs.filter(own_unplaced | access.project_scope_q(request.user, "project"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: UploadJob | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: UploadJob | None = None) -> bool:
        return False

    @admin.display(description="rows")
    def progress(self, obj: UploadJob) -> str:
        return f"{obj.processed} / {obj.total}" if obj.total is not None else str(obj.processed)

    def page_column(self, request: HttpRequest):
        """The column linking to a job's page, for those who may open it. Every row shown is of
        a project the user sees (or of no project), so `job_visible` comes down to "admin or
        uploader" here: no query per row."""

        @admin.display(description="page")
        def job_page(obj: UploadJob) -> str:
            if not (request.user.is_superuser or obj.user_id == request.user.pk):
                return "—"
            url = reverse(JOB_PAGES[UploadJob.Kind(obj.kind)], args=[obj.pk])
            return format_html('<a href="{}">Open the job\'s page</a>', url)

        return job_page

    def get_list_display(self, request: HttpRequest):
        return (*self.list_display, self.page_column(request))

    def get_fields(self, request: HttpRequest, obj: UploadJob | None = None):
        return self.fields

    def get_readonly_fields(self, request: HttpRequest, obj: UploadJob | None = None):
        return self.fields
