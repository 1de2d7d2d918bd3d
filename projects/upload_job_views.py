"""The page of an upload job and the state it polls, for the admins that start jobs (findings
triage, scan upload preview, report upload). Each admin adds the two URLs for its kind of job."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse

from projects.job_models import UploadJob
from projects.upload_jobs import job_fail_if_abandoned, job_state, job_visible


def job_for(request: HttpRequest, job_id: int, *, kind: str, may_upload: bool) -> UploadJob:
    """The job of this kind if the user may see it: 403 when they may not make such uploads
    (`may_upload`, the upload page's own rule) or the job is someone else's (or of a project
    they do not see), 404 when there is none."""
    if not may_upload:
        raise PermissionDenied
    job = UploadJob.objects.select_related("project", "user").filter(pk=job_id, kind=kind).first()
    if job is None:
        raise Http404("No such upload job.")
    if not job_visible(request.user, job):
        raise PermissionDenied
    return job_fail_if_abandoned(job)


def job_state_view(request: HttpRequest, job_id: int, *, kind: str, may_upload: bool) -> JsonResponse:
    response = JsonResponse(job_state(job_for(request, job_id, kind=kind, may_upload=may_upload)))
    response["Cache-Control"] = "no-store"
    return response


def job_context(job: UploadJob, *, state_url: str, unit: str = "rows") -> dict[str, Any]:
    """What the shared progress block (projects/upload_job.html) shows."""
    return {"job": job, "state_url": state_url, "unit": unit}
