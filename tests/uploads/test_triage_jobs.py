"""The findings triage sheet as an upload job: small sheets previewed and imported inside the
request, large ones by a real worker with progress; the job page is its uploader's."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections, transaction
from django.urls import reverse

from auditor.testing import running_celery_worker, wait_until
from findings.models import Finding
from findings.services.scans import scan_import
from findings.tasks import run_triage_job
from findings.tests.helpers import fixture
from findings.tests.test_background_scan_import import broker, dead_broker, memory_broker  # noqa: F401
from projects import staging
from projects.job_models import UploadJob
from projects.upload_jobs import JobProgress

IMPORT = "/admin/findings/finding/import/"


def _findings(project):
    scan_import(project=project, content=fixture("bandit_v1.json"), file_name="b.json")
    return list(Finding.objects.filter(project=project).order_by("pk"))


def _sheet(findings, status="in_progress") -> bytes:
    return ("id,status\n" + "".join(f"{f.pk},{status}\n" for f in findings)).encode()


def _upload(client, content: bytes, name="triage.csv"):
    return client.post(
        IMPORT, {"format": "0", "resource": "0", "import_file": SimpleUploadedFile(name, content)}
    )


def _statuses(project) -> list[str]:
    return list(Finding.objects.filter(project=project).order_by("pk").values_list("status", flat=True))


def _job_url(job) -> str:
    return reverse("admin:findings_finding_import_job", args=[job.pk])


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.mark.django_db
def test_a_small_sheet_is_previewed_then_imported_inside_the_request(client, tech_lead, project, tmp_path):
    findings = _findings(project)
    client.force_login(tech_lead)

    response = _upload(client, _sheet(findings[:3]))

    job = UploadJob.objects.get()
    html = response.content.decode()
    assert response.status_code == 200 and "Confirm import" in html
    assert (job.step, job.state, job.total, job.processed, job.result["changed"]) == (
        "preview",
        "done",
        3,
        3,
        3,
    )
    assert 'id="upload-job"' in html and "upload_job.js" not in html  # finished: nothing to follow
    assert set(_statuses(project)) == {"open"}

    response = client.post(_job_url(job), {"confirm": "1"})

    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:findings_finding_changelist"
    )
    assert _statuses(project).count("in_progress") == 3
    job.refresh_from_db()
    assert (job.step, job.state, job.staged_key) == ("import", "done", "")
    assert not list((tmp_path / staging.FOLDER).glob("*.upload"))
    again = client.post(_job_url(job), {"confirm": "1"}, follow=True)
    assert "already confirmed" in again.content.decode()


@pytest.mark.django_db
def test_a_sheet_with_a_bad_row_fails_its_preview_naming_the_row_and_cannot_be_confirmed(
    client, tech_lead, project, other_project
):
    findings = _findings(project)
    theirs = _findings(other_project)[0]
    client.force_login(tech_lead)
    before = _statuses(project)

    html = _upload(client, _sheet([findings[0], theirs, findings[1]])).content.decode()

    job = UploadJob.objects.get()
    assert job.state == "failed" and "1 row(s) have errors" in job.error_message
    assert f"No finding with id {theirs.pk!r} in your projects" in html.replace("&#x27;", "'")
    assert "Confirm import" not in html
    assert "preview found errors" in client.post(_job_url(job), follow=True).content.decode()
    assert _statuses(project) == before


@pytest.mark.django_db
def test_only_the_uploader_and_admins_see_a_job(client, tech_lead, other_tech_lead, manager, admin, project):
    client.force_login(tech_lead)
    _upload(client, _sheet(_findings(project)[:1]))
    job = UploadJob.objects.get()
    state = reverse("admin:findings_finding_import_job_state", args=[job.pk])
    assert client.get(state).json() == {
        "id": job.pk,
        "step": "preview",
        "state": "done",
        "processed": 1,
        "total": 1,
        "finished": True,
        "error": "",
    }
    for user, expected in ((other_tech_lead, 403), (manager, 403), (admin, 200)):
        client.force_login(user)
        assert client.get(_job_url(job)).status_code == expected
        assert client.get(state).status_code == expected
    assert client.get(reverse("admin:findings_finding_import_job", args=[job.pk + 1])).status_code == 404
    # An admin sees the preview but the confirmation is the uploader's.
    assert "Confirm import" not in client.get(_job_url(job)).content.decode()
    assert "Only the person who uploaded" in client.post(_job_url(job), follow=True).content.decode()


@pytest.mark.django_db
def test_a_large_sheet_is_queued_and_a_redelivered_task_does_nothing(
    client,
    tech_lead,
    project,
    settings,
    memory_broker,  # noqa: F811
):
    settings.IMPORT_BACKGROUND_ROWS = 2
    findings = _findings(project)
    client.force_login(tech_lead)

    response = _upload(client, _sheet(findings))

    job = UploadJob.objects.get()
    assert response.status_code == 302 and response["Location"] == _job_url(job)
    assert (job.state, job.total, job.processed) == ("queued", 10, 0)
    page = client.get(_job_url(job)).content.decode()
    assert "Waiting for a worker" in page and "0 of 10 rows processed" in page
    assert re.search(r'<script src="[^"]*projects/upload_job\.js"></script>', page)
    assert "<script>" not in page  # no inline script (CSP)
    assert run_triage_job(job.pk) == "done"
    assert run_triage_job(job.pk) is None  # redelivered: the job is no longer queued
    job.refresh_from_db()
    assert (job.step, job.state, job.processed, job.result["changed"]) == ("preview", "done", 10, 10)
    assert set(_statuses(project)) == {"open"}


@pytest.mark.django_db
def test_when_the_broker_is_down_the_user_is_told_and_nothing_is_left(
    client,
    tech_lead,
    project,
    settings,
    tmp_path,
    dead_broker,  # noqa: F811
):
    settings.IMPORT_BACKGROUND_ROWS = 2
    client.force_login(tech_lead)
    response = _upload(client, _sheet(_findings(project)), name="t.csv")
    page = client.get(response["Location"]).content.decode()
    assert "the task queue is not answering: nothing was checked" in page
    assert not UploadJob.objects.exists() and not list((tmp_path / staging.FOLDER).glob("*.upload"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_previews_then_imports_a_large_sheet(
    client,
    tech_lead,
    project,
    settings,
    broker,  # noqa: F811
):
    settings.MEDIA_ROOT = broker["MEDIA_ROOT"]
    settings.IMPORT_BACKGROUND_ROWS = 2
    findings = _findings(project)
    client.force_login(tech_lead)
    job_url = _upload(client, _sheet(findings, status="fixed"))["Location"]
    job = UploadJob.objects.get()

    with running_celery_worker(extra_env=broker) as worker:
        previewed = wait_until(
            lambda: UploadJob.objects.filter(pk=job.pk, state__in=["done", "failed"]).first()
        )
        assert previewed is not None, worker.output[-3000:] if hasattr(worker, "output") else ""
        assert previewed.state == "done", previewed.error_message
        page = client.get(job_url).content.decode()
        assert "Confirm import" in page and "Findings the sheet changes" in page
        assert set(_statuses(project)) == {"open"}

        assert client.post(job_url, {"confirm": "1"})["Location"] == job_url
        imported = wait_until(
            lambda: UploadJob.objects.filter(pk=job.pk, step="import", state__in=["done", "failed"]).first()
        )
    assert imported is not None and imported.state == "done", imported and imported.error_message
    assert (imported.processed, imported.total, imported.result["changed"]) == (10, 10, 10)
    assert set(_statuses(project)) == {"fixed"}
    assert "Back to the findings" in client.get(job_url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_steps_transaction_is_open(tech_lead, project):
    job = UploadJob.objects.create(kind=UploadJob.Kind.FINDINGS_TRIAGE, user=tech_lead, total=10)
    reader = connections.create_connection("default")
    try:
        with transaction.atomic(), JobProgress(job, total=10) as progress:
            progress.last = 0  # the next row writes
            progress.row(4)
            with reader.cursor() as cursor:
                cursor.execute("SELECT processed FROM projects_uploadjob WHERE id = %s", [job.pk])
                seen = cursor.fetchone()[0]
    finally:
        reader.close()
    if connections["default"].vendor == "postgresql":
        assert seen == 4
    else:
        assert seen == 0  # one writer at a time: shown when the step ends


@pytest.mark.django_db
def test_an_xlsx_sheet_goes_the_same_way(client, auditor_user, project):
    import io

    import openpyxl

    findings = _findings(project)
    book = openpyxl.Workbook()
    book.active.append(["id", "status", "severity"])
    book.active.append([findings[0].pk, "in_progress", "Critical"])
    out = io.BytesIO()
    book.save(out)
    client.force_login(auditor_user)
    form = client.get(IMPORT).context["form"]
    xlsx = next(value for value, label in form.fields["format"].choices if label.lower() == "xlsx")
    response = client.post(
        IMPORT,
        {"format": xlsx, "resource": "0", "import_file": SimpleUploadedFile("t.xlsx", out.getvalue())},
    )
    job = UploadJob.objects.get()
    assert "Confirm import" in response.content.decode() and job.options == {"format": "xlsx"}
    client.post(_job_url(job), {"confirm": "1"})
    findings[0].refresh_from_db()
    assert (findings[0].status, findings[0].severity) == ("in_progress", 4)
