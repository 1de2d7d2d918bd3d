"""The findings triage sheet in the admin: django-import-export's upload form, then every sheet
it can read is an upload job (findings/triage_jobs.py) with its own page: previewed inside the
request when small, by a worker when large; confirmed by its uploader."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from findings.triage_jobs import KIND as TRIAGE_JOB
from findings.triage_jobs import read_sheet, triage_job_confirm, triage_job_start
from projects.job_models import UploadJob
from projects.upload_job_views import job_context, job_for, job_state_view
from projects.upload_jobs import JobError, JobQueueUnavailable


class TriageJobAdminMixin:
    """For FindingAdmin (with ImportExportMixin after it)."""

    def get_urls(self):
        job = "import/jobs/<int:job_id>/"
        return [
            path(job, self.admin_site.admin_view(self.triage_job_view), name="findings_finding_import_job"),
            path(
                f"{job}state/",
                self.admin_site.admin_view(self.triage_job_state_view),
                name="findings_finding_import_job_state",
            ),
            *super().get_urls(),
        ]

    def import_action(self, request, **kwargs):
        """The library's form; a sheet it can read becomes an upload job, previewed at once when
        small, by a worker when large. Refused files get the library's (or the limit's) message."""
        if request.method != "POST" or not self.has_import_permission(request):
            return super().import_action(request, **kwargs)
        form = self.create_import_form(request)
        if not form.is_valid():
            return super().import_action(request, **kwargs)
        upload = form.cleaned_data["import_file"]
        content = b"".join(upload.chunks())
        format_title = self.get_import_formats()[int(form.cleaned_data["format"])]().get_title()
        try:
            rows = len(read_sheet(content, format_title))
        except Exception:  # noqa: BLE001 - the library reads it again and names the problem on its form
            rows = 0
        if not rows:
            upload.seek(0)
            return super().import_action(request, **kwargs)
        try:
            job = triage_job_start(
                user=request.user,
                content=content,
                file_name=upload.name,
                format_title=format_title,
                rows=rows,
            )
        except JobQueueUnavailable as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:findings_finding_import"))
        if job.finished:
            return self._triage_job_page(request, job)
        return HttpResponseRedirect(reverse("admin:findings_finding_import_job", args=[job.pk]))

    def triage_job_view(self, request, job_id):
        job = job_for(request, job_id, kind=TRIAGE_JOB, may_upload=self.has_import_permission(request))
        if request.method != "POST":
            return self._triage_job_page(request, job)
        try:
            job = triage_job_confirm(job, user=request.user)
        except (JobError, JobQueueUnavailable) as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(reverse("admin:findings_finding_import_job", args=[job.pk]))
        if job.state == UploadJob.State.DONE:
            messages.success(
                request,
                f"Imported {job.file_name}: {job.result['changed']} finding(s) changed, "
                f"{job.result['skipped']} row(s) without a change.",
            )
            return HttpResponseRedirect(reverse("admin:findings_finding_changelist"))
        return HttpResponseRedirect(reverse("admin:findings_finding_import_job", args=[job.pk]))

    def triage_job_state_view(self, request, job_id):
        return job_state_view(
            request, job_id, kind=TRIAGE_JOB, may_upload=self.has_import_permission(request)
        )

    def _triage_job_page(self, request, job):
        state_url = reverse("admin:findings_finding_import_job_state", args=[job.pk])
        context = {
            **self.admin_site.each_context(request),
            **job_context(job, state_url=state_url),
            "opts": self.model._meta,
            "title": f"Triage sheet {job.file_name}",
            "can_confirm": job.step == UploadJob.Step.PREVIEW
            and job.state == UploadJob.State.DONE
            and job.user_id == request.user.pk,
        }
        return TemplateResponse(request, "admin/findings/finding/import_job.html", context)
