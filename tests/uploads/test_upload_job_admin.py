"""The upload jobs' admin list (read only, scoped like projects) and the periodic sweep that
fails jobs whose worker died or that no worker took."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ops.tasks import sweep_abandoned_upload_jobs
from projects import staging
from projects.job_models import UploadJob

LIST = "/admin/projects/uploadjob/"


def _job(user, *, project=None, state=UploadJob.State.DONE, age_seconds=0, name="f.csv", kind=None):
    job = UploadJob.objects.create(
        kind=kind or UploadJob.Kind.FINDINGS_TRIAGE,
        user=user,
        project=project,
        file_name=name,
        state=state,
        step=UploadJob.Step.IMPORT if state == UploadJob.State.RUNNING else UploadJob.Step.PREVIEW,
    )
    # updated_at is auto_now: age the row behind the model's back, as time would.
    UploadJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - datetime.timedelta(seconds=age_seconds)
    )
    job.refresh_from_db()
    return job


@pytest.mark.django_db
def test_the_sweep_fails_only_abandoned_jobs(settings, tech_lead):
    settings.IMPORT_ABANDONED_AFTER_SECONDS = 600
    dead = _job(tech_lead, state=UploadJob.State.RUNNING, age_seconds=601)
    busy = _job(tech_lead, state=UploadJob.State.RUNNING, age_seconds=30)
    never_taken = _job(tech_lead, state=UploadJob.State.QUEUED, age_seconds=staging.STAGING_MAX_AGE + 1)
    waiting = _job(tech_lead, state=UploadJob.State.QUEUED, age_seconds=601)
    done = _job(tech_lead, state=UploadJob.State.DONE, age_seconds=10 * staging.STAGING_MAX_AGE)

    assert sweep_abandoned_upload_jobs() == 2

    states = dict(UploadJob.objects.values_list("pk", "state"))
    assert states == {
        dead.pk: "failed",
        busy.pk: "running",
        never_taken.pk: "failed",
        waiting.pk: "queued",
        done.pk: "done",
    }
    dead.refresh_from_db()
    assert dead.error_message.startswith("Abandoned: no worker finished this job in time")
    assert dead.finished_at is not None
    # A second run finds nothing more to do.
    assert sweep_abandoned_upload_jobs() == 0


@pytest.mark.django_db
def test_the_sweep_is_a_declared_periodic_task():
    task = PeriodicTask.objects.get(name="sweep-abandoned-upload-jobs")
    assert task.task == "projects.sweep_abandoned_upload_jobs"
    assert task.interval.every == 5 and task.enabled


@pytest.mark.django_db
def test_a_tech_lead_lists_their_projects_jobs_and_their_own_uploads(
    client, tech_lead, other_tech_lead, auditor_user, project, other_project
):
    mine = _job(tech_lead, name="mine-triage.csv")
    on_my_project = _job(
        auditor_user, project=project, name="mine-scan.sarif", kind=UploadJob.Kind.SCAN_PREVIEW
    )
    theirs = _job(other_tech_lead, name="theirs-triage.csv")
    on_their_project = _job(
        auditor_user, project=other_project, name="theirs-scan.sarif", kind=UploadJob.Kind.SCAN_PREVIEW
    )
    client.force_login(tech_lead)

    page = client.get(LIST).content.decode()

    assert "mine-triage.csv" in page and "mine-scan.sarif" in page
    assert "theirs-triage.csv" not in page and "theirs-scan.sarif" not in page
    # Their own upload links to its page; the auditor's upload on their project does not.
    assert reverse("admin:findings_finding_import_job", args=[mine.pk]) in page
    assert reverse("admin:findings_importrun_upload_job", args=[on_my_project.pk]) not in page
    assert client.get(f"{LIST}{on_my_project.pk}/change/").status_code == 200
    assert client.get(f"{LIST}{theirs.pk}/change/").status_code == 403
    assert client.get(f"{LIST}{on_their_project.pk}/change/").status_code == 403


@pytest.mark.django_db
def test_the_list_is_read_only_for_everyone(client, admin, manager, project):
    job = _job(admin, project=project)
    for user, listed in ((admin, 200), (manager, 200)):
        client.force_login(user)
        assert client.get(LIST).status_code == listed
        assert client.get(f"{LIST}add/").status_code == 403
        assert client.get(f"{LIST}{job.pk}/delete/").status_code == 403
        assert client.post(f"{LIST}{job.pk}/change/", {"state": "done"}).status_code == 403


@pytest.mark.django_db
def test_filters_and_search_narrow_the_list(client, admin, project):
    _job(admin, project=project, name="alpha.csv", state=UploadJob.State.FAILED)
    _job(admin, project=project, name="beta.md", state=UploadJob.State.DONE, kind=UploadJob.Kind.REPORT)
    client.force_login(admin)

    failed = client.get(LIST, {"state__exact": "failed"}).content.decode()
    reports = client.get(LIST, {"kind__exact": "report"}).content.decode()
    searched = client.get(LIST, {"q": "beta"}).content.decode()

    assert "alpha.csv" in failed and "beta.md" not in failed
    assert "beta.md" in reports and "alpha.csv" not in reports
    assert "beta.md" in searched and "alpha.csv" not in searched


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "tech_lead"])
def test_the_list_costs_the_same_queries_for_5_or_50_jobs(request, client, who, project, auditor_user):
    user = request.getfixturevalue(who)
    client.force_login(user)

    def cost(n: int) -> int:
        for i in range(n):
            _job(user if i % 2 else auditor_user, project=project, name=f"job-{n}-{i}.csv")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LIST).status_code == 200
        return len(queries)

    assert cost(5) == cost(45)
