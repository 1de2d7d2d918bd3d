"""Large scan reports confirmed in the admin are imported by a worker, with progress."""

from __future__ import annotations

import contextlib
import datetime
import re
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from auditor.testing import running_celery_worker, wait_until
from findings.models import Finding, ImportRun
from findings.services.scan_queue import import_runs_sweep_abandoned
from findings.services.scans import scan_import
from findings.staging import STAGING_MAX_AGE
from findings.tasks import import_scan_report
from findings.tests.helpers import fixture

UPLOAD = "/admin/findings/importrun/upload/"
REPORT = "bandit_v1.json"  # 10 results


def _reset_pools(app) -> None:
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker(tmp_path):
    """The Celery app on a broker of this test alone: a private folder of the filesystem broker
    (the shared one may be read by other workers), or the configured broker otherwise.
    Yields the environment a worker needs to use the same broker and media folder."""
    from auditor.celery import app

    var = tmp_path / "var"
    env = {"AUDITOR_VAR_DIR": str(var), "MEDIA_ROOT": str(var / "media")}
    if not django_settings.CELERY_BROKER_URL.startswith("filesystem://"):
        yield env
        return
    folders = {name: var / "broker" / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    old = app.conf.broker_transport_options
    _reset_pools(app)
    app.conf.broker_transport_options = {
        **old,
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
    }
    yield env
    app.conf.broker_transport_options = old
    _reset_pools(app)


@contextlib.contextmanager
def _broker_at(url: str):
    from auditor.celery import app

    old = app.conf.broker_url, app.conf.broker_write_url
    _reset_pools(app)
    app.conf.broker_url = app.conf.broker_write_url = url
    try:
        yield app
    finally:
        app.conf.broker_url, app.conf.broker_write_url = old
        _reset_pools(app)


@pytest.fixture
def dead_broker():
    """The Celery app pointed at a port where nothing listens (the broker is down)."""
    with _broker_at("redis://127.0.0.1:9/0") as app:
        yield app


@pytest.fixture
def memory_broker():
    """An in-process broker: the message is sent and stays unread (no worker here)."""
    with _broker_at("memory://") as app:
        yield app


def _preview_key(client, project, audit=None) -> str:
    data = {"project": project.pk, "format": "auto", "file": SimpleUploadedFile(REPORT, fixture(REPORT))}
    if audit is not None:
        data["audit"] = audit.pk
    response = client.post(UPLOAD, data)
    assert response.status_code == 200
    return re.search(r'name="key" value="([^"]+)"', response.content.decode()).group(1)


def _findings(project) -> list[tuple]:
    return sorted(
        Finding.objects.filter(project=project).values_list(
            "fingerprint", "title", "severity", "status", "tool", "rule_id", "file_path", "line"
        )
    )


def _parked(media: Path) -> list[Path]:
    return list((media / "scan-staging").glob("*.upload"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_large_report_is_queued_then_a_real_worker_imports_it_like_a_synchronous_import(
    client, auditor_user, project, audit, other_project, settings, broker
):
    settings.MEDIA_ROOT = broker["MEDIA_ROOT"]
    settings.IMPORT_BACKGROUND_RESULTS = 5
    client.force_login(auditor_user)
    key = _preview_key(client, project, audit)

    started = time.monotonic()
    response = client.post(UPLOAD, {"confirm": "1", "key": key})
    elapsed = time.monotonic() - started

    run = ImportRun.objects.get()
    assert response.status_code == 302, elapsed
    assert response["Location"] == reverse("admin:findings_importrun_change", args=[run.pk])
    assert (run.status, run.total, run.processed, run.user, run.audit) == (
        ImportRun.Status.QUEUED,
        10,
        0,
        auditor_user,
        audit,
    )
    assert not Finding.objects.exists()  # nothing imported inside the request
    page = client.get(response["Location"]).content.decode()
    assert "being imported in the background" in page
    assert '<meta http-equiv="refresh"' in page and "0 of 10 results processed" in page

    with running_celery_worker(extra_env=broker) as worker:
        done = wait_until(
            lambda: ImportRun.objects.filter(pk=run.pk, status__in=["succeeded", "failed"]).first(),
            timeout=90,
        )
    assert done is not None, f"the worker never finished the import; its log:\n{worker.output[-3000:]}"
    assert done.status == ImportRun.Status.SUCCEEDED, done.error_message
    assert (done.total, done.processed, done.created_count, done.format, done.tool) == (
        10,
        10,
        10,
        "bandit",
        "bandit",
    )
    assert not _parked(Path(broker["MEDIA_ROOT"]))
    page = client.get(response["Location"]).content.decode()
    assert "http-equiv" not in page and "10 of 10 results processed" in page

    sync = scan_import(project=other_project, content=fixture(REPORT), file_name=REPORT)
    assert sync.created_count == done.created_count
    assert [row[1:] for row in _findings(project)] == [row[1:] for row in _findings(other_project)]


@pytest.fixture
def queued(client, auditor_user, project, settings, tmp_path, memory_broker):
    """A large report confirmed in the admin: its run queued, its file kept for the worker."""
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_BYTES = 100
    client.force_login(auditor_user)
    client.post(UPLOAD, {"confirm": "1", "key": _preview_key(client, project)})
    run = ImportRun.objects.get()
    [parked] = _parked(tmp_path)
    assert run.status == ImportRun.Status.QUEUED
    return run, parked


@pytest.mark.django_db
def test_a_redelivered_task_does_not_import_twice(project, queued):
    run, parked = queued
    assert import_scan_report(run.pk, parked.stem) == "succeeded"
    first = _findings(project)
    assert import_scan_report(run.pk, parked.stem) is None  # the redelivery finds the run done

    run.refresh_from_db()
    assert (run.status, run.created_count, run.processed, run.total) == ("succeeded", 10, 10, 10)
    assert _findings(project) == first and len(first) == 10
    assert ImportRun.objects.count() == 1


@pytest.mark.django_db
def test_a_task_redelivered_while_its_run_is_claimed_does_nothing(project, queued):
    run, parked = queued
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.RUNNING)  # another worker's

    assert import_scan_report(run.pk, parked.stem) is None
    assert not Finding.objects.exists()
    assert ImportRun.objects.get().status == ImportRun.Status.RUNNING


@pytest.mark.django_db
def test_a_queued_run_whose_file_is_gone_ends_failed_with_the_reason(client, queued):
    run, parked = queued
    parked.unlink()

    assert import_scan_report(run.pk, parked.stem) == "failed"
    run.refresh_from_db()
    assert run.status == "failed" and "no longer available" in run.error_message
    assert not Finding.objects.exists()
    page = client.get(reverse("admin:findings_importrun_change", args=[run.pk])).content.decode()
    assert "no longer available" in page and "http-equiv" not in page


@pytest.mark.django_db
def test_the_sweep_fails_a_run_no_worker_took_before_its_file_expired(queued):
    run, parked = queued
    recent = ImportRun.objects.create(project=run.project, format="auto", status=ImportRun.Status.QUEUED)
    ImportRun.objects.filter(pk=run.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=STAGING_MAX_AGE + 60)
    )

    assert import_runs_sweep_abandoned() == 1
    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED and "No worker took this import" in run.error_message
    assert ImportRun.objects.get(pk=recent.pk).status == ImportRun.Status.QUEUED
    assert import_scan_report(run.pk, parked.stem) is None and not Finding.objects.exists()


@pytest.mark.django_db
def test_a_small_report_is_still_imported_inside_the_request(
    client, auditor_user, project, settings, tmp_path, dead_broker
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(auditor_user)
    response = client.post(UPLOAD, {"confirm": "1", "key": _preview_key(client, project)})
    run = ImportRun.objects.get()
    assert response.status_code == 302 and run.status == "succeeded" and run.created_count == 10


@pytest.mark.django_db
def test_when_the_broker_is_down_the_user_is_told_and_nothing_is_left(
    client, auditor_user, project, settings, tmp_path, dead_broker
):
    settings.MEDIA_ROOT = tmp_path
    settings.IMPORT_BACKGROUND_RESULTS = 5
    client.force_login(auditor_user)
    response = client.post(UPLOAD, {"confirm": "1", "key": _preview_key(client, project)}, follow=True)

    assert response.status_code == 200
    assert "the task queue is not answering: nothing was imported" in response.content.decode()
    assert not ImportRun.objects.exists() and not Finding.objects.exists()
    assert not _parked(tmp_path)
