"""Upload jobs for the permissions matrix (tests/permissions_world.py): on each side a findings
triage job of the project's tech lead, and a report job and a scan preview job of the auditor,
each a finished preview whose file is gone (a confirmation is refused with a message)."""

from __future__ import annotations

from django.contrib.auth.models import User

from projects import access
from projects.job_models import UploadJob
from projects.models import Project


def upload_job_ids(project: Project) -> dict[str, int]:
    auditor = User.objects.filter(groups__name=access.AUDITOR).order_by("pk").first()
    done = {"step": UploadJob.Step.PREVIEW, "state": UploadJob.State.DONE, "result": {"has_errors": False}}
    triage = UploadJob.objects.create(
        kind=UploadJob.Kind.FINDINGS_TRIAGE, user=project.tech_lead, file_name="triage.csv", total=1, **done
    )
    report = UploadJob.objects.create(kind=UploadJob.Kind.REPORT, user=auditor, file_name="report.md", **done)
    scan = UploadJob.objects.create(
        kind=UploadJob.Kind.SCAN_PREVIEW, user=auditor, project=project, file_name="scan.sarif", **done
    )
    return {"triage_job": triage.pk, "report_job": report.pk, "scan_job": scan.pk}
