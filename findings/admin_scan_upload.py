"""The admin's "Import scan report": upload, dry-run preview, confirm. A small report is
previewed inside the request and waits for its confirmation in the staging (findings/staging.py);
a large one is previewed by a worker (an upload job, findings/scan_preview_jobs.py) and its
import, large too, is a background ImportRun with progress."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from findings import staging
from findings.importers import FORMAT_CHOICES, ScanFormatError
from findings.scan_preview_jobs import KIND as SCAN_PREVIEW_JOB
from findings.scan_preview_jobs import (
    scan_preview_job_done,
    scan_preview_job_start,
    scan_preview_job_take,
    scan_preview_needs_worker,
)
from findings.services.scan_queue import ImportQueueUnavailable, needs_background_import, scan_import_enqueue
from findings.services.scans import scan_import
from projects import access
from projects.job_models import UploadJob
from projects.models import Audit
from projects.params import parse_id
from projects.upload_job_views import job_context, job_for, job_state_view
from projects.upload_jobs import JobError, JobQueueUnavailable
from projects.uploads import upload_size_error


def can_import(user) -> bool:
    """Importing creates findings: auditors and admins (tech leads upload from CI with a token)."""
    return user.is_active and user.has_perm("findings.add_finding")


class ScanUploadForm(forms.Form):
    project = forms.ModelChoiceField(queryset=None)
    audit = forms.ModelChoiceField(
        queryset=None,
        required=False,
        help_text="Optional: the audit whose metrics (coverage, tests, LOC) the report feeds.",
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES, initial="auto")
    file = forms.FileField(help_text="Bandit JSON, SARIF 2.1.0, Cobertura XML or JUnit XML.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        projects = access.visible_projects(user).order_by("name")
        self.fields["project"].queryset = projects
        self.fields["audit"].queryset = Audit.objects.filter(project__in=projects).select_related("project")

    def clean(self):
        data = super().clean()
        audit, project = data.get("audit"), data.get("project")
        if audit is not None and project is not None and audit.project_id != project.pk:
            self.add_error("audit", f"This audit belongs to {audit.project}, not {project}.")
        return data


class ScanUploadAdminMixin:
    """The upload pages of the ImportRun admin."""

    def get_urls(self):
        job = "upload/jobs/<int:job_id>/"
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="findings_importrun_upload"),
            path(
                job, self.admin_site.admin_view(self.preview_job_view), name="findings_importrun_upload_job"
            ),
            path(
                f"{job}state/",
                self.admin_site.admin_view(self.preview_job_state_view),
                name="findings_importrun_upload_job_state",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_upload": can_import(request.user)}
        return super().changelist_view(request, extra_context)

    def upload_view(self, request):
        """Step 1: choose and check a report (dry run preview). Step 2: confirm the import."""
        if not can_import(request.user):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        form = ScanUploadForm(
            request.POST or None, request.FILES or None, user=request.user, initial=self._initial(request)
        )
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            too_big = upload_size_error(upload.size)
            if not too_big and scan_preview_needs_worker(upload.size):
                started = self._start_preview_job(request, form, upload)
                if started is not None:
                    return started
            try:
                if too_big:
                    raise ScanFormatError(too_big, file_name=upload.name)
                content = upload.read()
                run = scan_import(
                    project=form.cleaned_data["project"],
                    content=content,
                    file_name=upload.name,
                    format=form.cleaned_data["format"],
                    audit=form.cleaned_data["audit"],
                    user=request.user,
                    dry_run=True,
                )
            except ScanFormatError as exc:
                form.add_error("file", str(exc))
            else:
                key = staging.stage_scan(
                    request,
                    content=content,
                    project=run.project,
                    audit=run.audit,
                    format=form.cleaned_data["format"],
                    file_name=upload.name,
                    results=run.created_count
                    + run.still_open_count
                    + run.reopened_count
                    + run.unchanged_closed_count,
                )
                return self._render(
                    request,
                    "admin/findings/importrun/preview.html",
                    {"run": run, "key": key, "title": "Check the import"},
                )
        return self._render(
            request, "admin/findings/importrun/upload.html", {"form": form, "title": "Import scan report"}
        )

    def _confirm(self, request):
        try:
            staged = staging.take_scan(request, request.POST.get("key", ""))
        except staging.StagingError as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:findings_importrun_upload"))
        if not access.can_see_project(request.user, staged.project):
            raise PermissionDenied
        upload = {
            "project": staged.project,
            "content": staged.content,
            "file_name": staged.file_name,
            "format": staged.format,
            "audit": staged.audit,
            "user": request.user,
        }
        run, response = self._import_confirmed(request, upload, results=staged.results)
        return response

    def _import_confirmed(self, request, upload: dict, *, results: int):
        """Import a confirmed upload, in the background when large: (the run or None, the response)."""
        if needs_background_import(size=len(upload["content"]), results=results):
            return self._confirm_in_background(request, upload, results=results)
        try:
            run = scan_import(**upload)
        except ScanFormatError as exc:
            messages.error(request, str(exc))
            return None, HttpResponseRedirect(reverse("admin:findings_importrun_upload"))
        messages.success(
            request,
            f"Imported {run.file_name}: {run.created_count} created, {run.still_open_count} still "
            f"open, {run.reopened_count} reopened, {run.resolved_count} resolved.",
        )
        return run, HttpResponseRedirect(reverse("admin:findings_importrun_change", args=[run.pk]))

    def _confirm_in_background(self, request, upload: dict, *, results: int):
        try:
            run = scan_import_enqueue(**upload, results=results or None)
        except (ScanFormatError, ImportQueueUnavailable) as exc:
            messages.error(request, str(exc))
            return None, HttpResponseRedirect(reverse("admin:findings_importrun_upload"))
        messages.info(
            request,
            f"{run.file_name} is large: it is being imported in the background. This page shows "
            "its progress and refreshes itself until the import ends.",
        )
        return run, HttpResponseRedirect(reverse("admin:findings_importrun_change", args=[run.pk]))

    # --- the preview of a large report, by a worker (findings/scan_preview_jobs.py) --------
    def _start_preview_job(self, request, form, upload):
        try:
            job = scan_preview_job_start(
                user=request.user,
                content=upload.read(),
                project=form.cleaned_data["project"],
                audit=form.cleaned_data["audit"],
                format=form.cleaned_data["format"],
                file_name=upload.name,
            )
        except JobQueueUnavailable as exc:
            form.add_error("file", str(exc))
            return None
        return HttpResponseRedirect(reverse("admin:findings_importrun_upload_job", args=[job.pk]))

    def preview_job_view(self, request, job_id):
        job = job_for(request, job_id, kind=SCAN_PREVIEW_JOB, may_upload=can_import(request.user))
        job_url = reverse("admin:findings_importrun_upload_job", args=[job.pk])
        if request.method == "POST":
            return self._confirm_preview_job(request, job, job_url)
        result = job.result
        context = {
            **job_context(job, state_url=reverse("admin:findings_importrun_upload_job_state", args=[job.pk])),
            "title": f"Check the import of {job.file_name}",
            "run": result if result.get("format") else None,
            "import_run": result.get("import_run"),
            "can_confirm": job.step == UploadJob.Step.PREVIEW
            and job.state == UploadJob.State.DONE
            and job.user_id == request.user.pk,
            "confirm_url": job_url,
        }
        return self._render(request, "admin/findings/importrun/preview_job.html", context)

    def _confirm_preview_job(self, request, job, job_url):
        try:
            content, audit = scan_preview_job_take(job, user=request.user)
        except (JobError, staging.StagingError) as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(job_url)
        upload = {
            "project": job.project,
            "content": content,
            "file_name": job.file_name,
            "format": job.options.get("format", "auto"),
            "audit": audit,
            "user": request.user,
        }
        results = int(job.result.get("results") or 0)
        run, response = self._import_confirmed(request, upload, results=results)
        if run is None:
            scan_preview_job_done(
                job,
                import_run=None,
                error="The import was refused when it was confirmed; nothing was written.",
            )
        else:
            scan_preview_job_done(job, import_run=run.pk)
        return response

    def preview_job_state_view(self, request, job_id):
        return job_state_view(request, job_id, kind=SCAN_PREVIEW_JOB, may_upload=can_import(request.user))

    def _initial(self, request):
        initial = {"format": "auto"}
        for name in ("project", "audit"):
            value = parse_id(request.GET.get(name, ""))
            if value is not None:
                initial[name] = value
        if "audit" in initial and "project" not in initial:
            audit = Audit.objects.filter(pk=initial["audit"]).only("project_id").first()
            if audit is not None:
                initial["project"] = audit.project_id
        return initial

    def _render(self, request, template, context):
        return TemplateResponse(
            request, template, {**self.admin_site.each_context(request), "opts": self.model._meta, **context}
        )
