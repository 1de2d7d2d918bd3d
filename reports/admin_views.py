"""Admin upload form for Markdown reports: upload, preview what would be imported, confirm.

The preview is a dry run of `report_import` (reports/upload.py). A report of at most
REPORT_BACKGROUND_BYTES is previewed inside the request, and between the preview and the
confirmation the file waits in the shared staging (`projects.staging`): the confirmation form
carries its signed token, so what is imported is exactly what was previewed, by the user who
previewed it. A larger report is an upload job: a worker previews it, its page follows the job,
and its uploader confirms there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from projects import access, staging
from projects.admin_mixins import record_as_html
from projects.job_models import UploadJob
from projects.models import Audit, Project
from projects.upload_job_views import job_context, job_for, job_state_view
from projects.upload_jobs import JobError, JobQueueUnavailable
from projects.uploads import REPORT_LIMIT, upload_size_error
from reports.errors import ReportError
from reports.models import ReportSource
from reports.upload import (
    KIND,
    Requester,
    preview_summary,
    report_job_confirm,
    report_job_start,
    report_needs_worker,
    report_run,
)

# The audit admin this mixin completes (projects/admin.py adds ModelAdmin); the stubs' generic
# class only while type checking, as Django's takes no type arguments at run time.
if TYPE_CHECKING:
    _AuditAdminBase = admin.ModelAdmin[Audit]
else:
    _AuditAdminBase = object

STAGING_KIND = "reports.report"


class ReportUploadForm(forms.Form):
    report = forms.FileField(help_text="A Markdown audit report (.md or .txt).")
    project = forms.ModelChoiceField(
        queryset=Project.objects.none(),
        required=False,
        help_text="Empty: the project the report names (matched by name).",
    )
    create_project = forms.BooleanField(
        required=False,
        help_text="Create the project the report names when it does not exist.",
    )

    def __init__(self, *args: Any, user: Requester, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        project_field = self.fields["project"]
        assert isinstance(project_field, forms.ModelChoiceField)  # declared above
        project_field.queryset = access.visible_projects(user).order_by("name")
        if not user.has_perm("projects.add_project"):
            del self.fields["create_project"]

    def clean_report(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["report"]
        assert upload.size is not None  # FileField refuses a file without a size
        if too_big := upload_size_error(upload.size, limit_setting=REPORT_LIMIT):
            raise forms.ValidationError(too_big)
        return upload


class ReportConfirmForm(forms.Form):
    payload = forms.CharField(widget=forms.HiddenInput)

    def clean_payload(self) -> str:
        token: str = self.cleaned_data["payload"]
        try:
            staging.unsign(token, kind=STAGING_KIND)
        except staging.StagingError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return token


def import_report_view(request: HttpRequest, model_admin: admin.ModelAdmin[Audit]) -> HttpResponse:
    user = request.user
    if not user.has_perm("projects.add_audit"):
        raise PermissionDenied
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Import an audit report",
        "has_view_permission": True,
    }
    upload_form = ReportUploadForm(user=user)
    if request.method == "POST" and "_confirm" in request.POST:
        confirm = ReportConfirmForm(request.POST)
        if confirm.is_valid():
            try:
                staged = staging.take(request, confirm.cleaned_data["payload"], kind=STAGING_KIND)
            except staging.StagingError as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(reverse("admin:projects_audit_import_report"))
            return _confirmed(request, staged)
        # An ErrorList yields its messages as text.
        messages.error(request, " ".join(cast(Iterable[str], confirm.errors.get("payload", []))))
    elif request.method == "POST":
        upload_form = ReportUploadForm(request.POST, request.FILES, user=user)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["report"]
            content = upload.read()
            project = upload_form.cleaned_data["project"]
            project_id = project.pk if project else None
            create_project = bool(upload_form.cleaned_data.get("create_project"))
            if report_needs_worker(len(content)):
                return _start_job(request, content, upload.name, project_id, create_project)
            try:
                result = report_run(
                    user,
                    content=content,
                    file_name=upload.name,
                    project_id=project_id,
                    create_project=create_project,
                    dry_run=True,
                )
            except ReportError as exc:
                upload_form.add_error("report", str(exc))
            else:
                context["result"] = result
                context["preview"] = preview_summary(result)
                meta = {"file_name": upload.name, "project_id": project_id, "create_project": create_project}
                token = staging.stage(request, content=content, kind=STAGING_KIND, meta=meta)
                context["confirm_form"] = ReportConfirmForm(initial={"payload": token})
    context["form"] = upload_form
    return TemplateResponse(request, "reports/admin/import_report.html", context)


def _start_job(
    request: HttpRequest, content: bytes, file_name: str, project_id: int | None, create_project: bool
) -> HttpResponse:
    try:
        job = report_job_start(
            user=request.user,
            content=content,
            file_name=file_name,
            project_id=project_id,
            create_project=create_project,
        )
    except JobQueueUnavailable as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("admin:projects_audit_import_report"))
    return HttpResponseRedirect(reverse("admin:projects_audit_import_report_job", args=[job.pk]))


def report_job_view(request: HttpRequest, model_admin: admin.ModelAdmin[Audit], job_id: int) -> HttpResponse:
    """A large report's job: its progress, then its preview and "Import this report", then
    the audit it created."""
    job = job_for(request, job_id, kind=KIND, may_upload=request.user.has_perm("projects.add_audit"))
    job_url = reverse("admin:projects_audit_import_report_job", args=[job.pk])
    if request.method == "POST":
        try:
            report_job_confirm(job, user=request.user)
        except (JobError, JobQueueUnavailable) as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(job_url)
    state_url = reverse("admin:projects_audit_import_report_job_state", args=[job.pk])
    context = {
        **model_admin.admin_site.each_context(request),
        **job_context(job, state_url=state_url),
        "opts": model_admin.model._meta,
        "title": f"Import of {job.file_name}",
        "has_view_permission": True,
        "preview": job.result if job.result.get("file_name") else None,
        "outcome": job.result.get("outcome"),
        "can_confirm": job.step == UploadJob.Step.PREVIEW
        and job.state == UploadJob.State.DONE
        and not job.result.get("has_errors")
        and job.user_id == request.user.pk,
    }
    return TemplateResponse(request, "reports/admin/report_job.html", context)


def _confirmed(request: HttpRequest, staged: staging.StagedUpload) -> HttpResponse:
    meta = staged.meta
    try:
        result = report_run(
            request.user,
            content=staged.content,
            file_name=meta["file_name"],
            project_id=meta["project_id"],
            create_project=meta["create_project"],
            dry_run=False,
        )
    except ReportError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(reverse("admin:projects_audit_import_report"))
    assert result.audit is not None  # the new audit, or the duplicate
    if result.duplicate_of is not None:
        messages.warning(request, result.messages[0])
    else:
        messages.success(
            request,
            f"Imported '{result.audit.title}' into {result.project.name} as audit #{result.audit.pk}.",
        )
    return HttpResponseRedirect(reverse("admin:projects_audit_change", args=[result.audit.pk]))


class ReportImportAdminMixin(_AuditAdminBase):
    """Adds "Import a report" to the Audit changelist (object tool) and its upload view, and an
    imported audit's source (file, importer, repairs, inconsistency) to its change page."""

    change_list_template = "reports/admin/audit_change_list.html"

    @admin.display(description="report source")
    def report_source_record(self, obj: Audit | None) -> str:
        if obj is None or obj.pk is None or obj.kind != Audit.Kind.IMPORTED:
            return "—"
        return record_as_html(ReportSource.objects.filter(audit=obj).first())

    def get_urls(self) -> list[URLPattern]:
        job = "import-report/jobs/<int:job_id>/"
        custom = [
            path(
                "import-report/",
                self.admin_site.admin_view(lambda request: import_report_view(request, self)),
                name="projects_audit_import_report",
            ),
            path(
                job,
                self.admin_site.admin_view(lambda request, job_id: report_job_view(request, self, job_id)),
                name="projects_audit_import_report_job",
            ),
            path(
                f"{job}state/",
                self.admin_site.admin_view(
                    lambda request, job_id: job_state_view(
                        request, job_id, kind=KIND, may_upload=request.user.has_perm("projects.add_audit")
                    )
                ),
                name="projects_audit_import_report_job_state",
            ),
        ]
        return custom + super().get_urls()
