"""A large scan report uploaded in the admin is previewed by a worker (an upload job); its
confirmation then goes the usual way (in the request, or a background ImportRun when large)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from auditor.testing import running_celery_worker, wait_until
from findings.models import Finding, ImportRun
from findings.tasks import run_scan_preview_job
from findings.tests.helpers import fixture
from findings.tests.test_background_scan_import import broker, memory_broker  # noqa: F401
from projects.job_models import UploadJob

UPLOAD = "/admin/findings/importrun/upload/"
REPORT = "bandit_v1.json"  # 10 results


@pytest.fixture(autouse=True)
def _large(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_PREVIEW_BYTES = 100


def _upload(client, project, audit=None):
    data = {"project": project.pk, "format": "auto", "file": SimpleUploadedFile(REPORT, fixture(REPORT))}
    if audit is not None:
        data["audit"] = audit.pk
    return client.post(UPLOAD, data)


@pytest.mark.django_db
def test_a_large_report_is_previewed_by_a_job_then_confirmed(
    client,
    auditor_user,
    admin,
    project,
    audit,
    tmp_path,
    memory_broker,  # noqa: F811
):
    client.force_login(auditor_user)
    response = _upload(client, project, audit)
    job = UploadJob.objects.get()
    job_url = reverse("admin:findings_importrun_upload_job", args=[job.pk])
    assert response.status_code == 302 and response["Location"] == job_url
    assert (job.kind, job.project, job.options) == (
        "scan_preview",
        project,
        {"format": "auto", "audit": audit.pk},
    )
    assert "Waiting for a worker" in client.get(job_url).content.decode()

    assert run_scan_preview_job(job.pk) == "done"
    page = client.get(job_url).content.decode()
    assert re.search(r"<th>Created</th><td>10</td>", page) and "B602" in page and "Confirm import" in page
    assert not Finding.objects.exists() and not ImportRun.objects.exists()
    client.force_login(admin)
    assert "Confirm import" not in client.get(job_url).content.decode()  # the uploader's decision

    client.force_login(auditor_user)
    response = client.post(job_url, {"confirm": "1"})
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("admin:findings_importrun_change", args=[run.pk])
    assert (run.status, run.created_count, run.audit, run.user) == ("succeeded", 10, audit, auditor_user)
    job.refresh_from_db()
    assert (job.step, job.state, job.result["import_run"], job.staged_key) == ("import", "done", run.pk, "")
    assert not list(tmp_path.rglob("*.upload"))
    assert "already confirmed" in client.post(job_url, {"confirm": "1"}, follow=True).content.decode()
    assert ImportRun.objects.count() == 1


@pytest.mark.django_db
def test_a_bad_report_fails_its_preview_job_and_writes_nothing(client, auditor_user, project, memory_broker):  # noqa: F811
    client.force_login(auditor_user)
    data = {
        "project": project.pk,
        "format": "auto",
        "file": SimpleUploadedFile("b.json", b'{"results": [' * 20),
    }
    client.post(UPLOAD, data)
    job = UploadJob.objects.get()
    assert run_scan_preview_job(job.pk) == "failed"
    page = client.get(reverse("admin:findings_importrun_upload_job", args=[job.pk])).content.decode()
    assert "b.json: line 1, column" in page and "Confirm import" not in page
    assert not Finding.objects.exists() and not ImportRun.objects.exists()


@pytest.mark.django_db
def test_another_auditor_cannot_see_the_job(client, auditor_user, project, memory_broker):  # noqa: F811
    from conftest import make_user
    from projects import access

    client.force_login(auditor_user)
    _upload(client, project)
    job = UploadJob.objects.get()
    client.force_login(make_user("other-auditor", access.AUDITOR))
    assert client.get(reverse("admin:findings_importrun_upload_job", args=[job.pk])).status_code == 403
    assert client.post(reverse("admin:findings_importrun_upload_job", args=[job.pk])).status_code == 403


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_previews_and_then_imports_in_the_background(
    client,
    auditor_user,
    project,
    settings,
    broker,  # noqa: F811
):
    settings.MEDIA_ROOT = broker["MEDIA_ROOT"]
    settings.IMPORT_BACKGROUND_RESULTS = 5  # the import is a background ImportRun too
    client.force_login(auditor_user)
    job_url = _upload(client, project)["Location"]
    job = UploadJob.objects.get()

    with running_celery_worker(extra_env=broker):
        previewed = wait_until(
            lambda: UploadJob.objects.filter(pk=job.pk, state__in=["done", "failed"]).first()
        )
        assert previewed is not None and previewed.state == "done", previewed and previewed.error_message
        response = client.post(job_url, {"confirm": "1"})
        run = ImportRun.objects.get()
        assert response["Location"] == reverse("admin:findings_importrun_change", args=[run.pk])
        done = wait_until(
            lambda: ImportRun.objects.filter(pk=run.pk, status__in=["succeeded", "failed"]).first()
        )
    assert done is not None and done.status == "succeeded", done and done.error_message
    assert Finding.objects.filter(project=project).count() == 10
