"""A large Markdown report uploaded in the admin is an upload job: a worker previews it, its
uploader confirms on the job's page, a worker imports it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from auditor.testing import running_celery_worker, wait_until
from checklists.models import ChecklistItem
from findings.tests.test_background_scan_import import broker, dead_broker, memory_broker  # noqa: F401
from projects.job_models import UploadJob
from projects.models import Audit, Project
from reports.tasks import run_report_job

SAMPLES = Path(__file__).parents[2] / "reports" / "tests" / "samples"
URL = "/admin/projects/audit/import-report/"


@pytest.fixture(autouse=True)
def _large(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.REPORT_BACKGROUND_BYTES = 100  # every sample is "large"


def _upload(client, name: str, **data):
    report = SimpleUploadedFile(name, (SAMPLES / name).read_bytes(), content_type="text/markdown")
    return client.post(URL, {"report": report, "_preview": "Preview", **data})


def _job_url(job) -> str:
    return reverse("admin:projects_audit_import_report_job", args=[job.pk])


@pytest.mark.django_db
def test_a_large_report_is_queued_and_its_page_follows_the_job(client, admin, memory_broker):  # noqa: F811
    client.force_login(admin)
    response = _upload(client, "en_bullets_scores_100.md", create_project="on")

    job = UploadJob.objects.get()
    assert response.status_code == 302 and response["Location"] == _job_url(job)
    assert (job.kind, job.step, job.state, job.options) == (
        "report",
        "preview",
        "queued",
        {"project_id": None, "create_project": True},
    )
    page = client.get(_job_url(job)).content.decode()
    assert "Waiting for a worker" in page and "projects/upload_job.js" in page
    assert not Audit.objects.exists()

    assert run_report_job(job.pk) == "done"
    assert run_report_job(job.pk) is None  # a redelivered task does nothing
    page = client.get(_job_url(job)).content.decode()
    assert "Preview of en_bullets_scores_100.md" in page and "Payments API (will be created)" in page
    assert 'name="_confirm"' in page and "projects/upload_job.js" not in page
    assert not Audit.objects.exists() and not Project.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_a_report_fails_its_job_with_the_reason(client, admin, project, memory_broker):  # noqa: F811
    client.force_login(admin)
    _upload(client, "not_a_report.py", project=project.pk)
    job = UploadJob.objects.get()

    assert run_report_job(job.pk) == "failed"
    job.refresh_from_db()
    assert "does not look like an audit report" in job.error_message and job.staged_key == ""
    page = client.get(_job_url(job)).content.decode()
    assert "does not look like an audit report" in page and 'name="_confirm"' not in page
    assert not Audit.objects.exists()


@pytest.mark.django_db
def test_only_the_uploader_and_admins_see_the_job(
    client,
    auditor_user,
    admin,
    tech_lead,
    project,
    memory_broker,  # noqa: F811
):
    client.force_login(auditor_user)
    _upload(client, "en_bullets_scores_100.md", project=project.pk)
    job = UploadJob.objects.get()
    state = reverse("admin:projects_audit_import_report_job_state", args=[job.pk])
    assert client.get(state).json()["state"] == "queued"
    for user, expected in ((tech_lead, 403), (admin, 200)):
        client.force_login(user)
        assert client.get(_job_url(job)).status_code == expected
        assert client.get(state).status_code == expected


@pytest.mark.django_db
def test_when_the_broker_is_down_nothing_is_left(client, admin, tmp_path, dead_broker):  # noqa: F811
    client.force_login(admin)
    page = client.get(_upload(client, "en_bullets_scores_100.md", create_project="on")["Location"])
    assert "the task queue is not answering: nothing was checked" in page.content.decode()
    assert not UploadJob.objects.exists() and not list(tmp_path.rglob("*.upload"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_previews_then_imports_a_large_report(client, admin, settings, broker):  # noqa: F811
    settings.MEDIA_ROOT = broker["MEDIA_ROOT"]
    client.force_login(admin)
    job_url = _upload(client, "en_bullets_scores_100.md", create_project="on")["Location"]
    job = UploadJob.objects.get()

    with running_celery_worker(extra_env=broker):
        previewed = wait_until(
            lambda: UploadJob.objects.filter(pk=job.pk, state__in=["done", "failed"]).first()
        )
        assert previewed is not None and previewed.state == "done", previewed and previewed.error_message
        assert "Payments API (will be created)" in client.get(job_url).content.decode()
        assert not Audit.objects.exists()

        assert client.post(job_url, {"_confirm": "Import"})["Location"] == job_url
        imported = wait_until(
            lambda: UploadJob.objects.filter(pk=job.pk, step="import", state__in=["done", "failed"]).first()
        )
    assert imported is not None and imported.state == "done", imported and imported.error_message
    audit = Audit.objects.get()
    assert audit.project.name == "Payments API" and audit.kind == Audit.Kind.IMPORTED
    assert ChecklistItem.objects.filter(checklist__audit=audit).count() == 4
    assert imported.result["outcome"]["audit"] == audit.pk
    page = client.get(job_url).content.decode()
    assert f"as audit #{audit.pk}" in page and reverse("admin:projects_audit_change", args=[audit.pk]) in page
