"""Every real import leaves an ImportRun that says how it ended, even when its process died.

These run outside a test transaction (transactional tests), as the API, the admin and the
command do, so the run is recorded in its own committed row before the import transaction.
"""

import threading

import pytest
from django.db import connections, transaction

from findings.importers import ScanFormatError
from findings.models import Finding, ImportRun
from findings.services import scan_queue, scans
from findings.tests.test_scan_import import fixture
from projects.models import Project

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_successful_import_leaves_one_succeeded_run(project):
    run = scans.scan_import(project=project, content=fixture("bandit_v1.json"), file_name="bandit.json")

    assert list(ImportRun.objects.values_list("pk", "status")) == [(run.pk, "succeeded")]
    assert Finding.objects.filter(project=project).count() == run.created_count > 0


def test_bad_input_leaves_no_run_and_no_finding(project):
    with pytest.raises(ScanFormatError):
        scans.scan_import(project=project, content=b'{"results": [', file_name="bandit.json")

    assert not ImportRun.objects.exists()
    assert not Finding.objects.exists()


def test_an_unexpected_failure_mid_import_is_recorded_and_writes_nothing_else(project, monkeypatch):
    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(scans, "write_findings", disk_full)

    with pytest.raises(OSError):
        scans.scan_import(project=project, content=fixture("bandit_v1.json"), file_name="bandit.json")

    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "No space left on device" in run.error_message
    assert not Finding.objects.exists()


def test_the_sweep_fails_a_run_whose_process_died(project):
    # What a killed process leaves behind: the run row, committed, still "running".
    run = ImportRun.objects.create(project=project, format="bandit", status=ImportRun.Status.RUNNING)

    assert scan_queue.import_runs_sweep_abandoned(older_than_seconds=0) == 1

    run.refresh_from_db()
    assert run.status == ImportRun.Status.FAILED
    assert "Abandoned" in run.error_message


def test_the_sweep_keeps_a_recent_run_alone(project):
    ImportRun.objects.create(project=project, format="bandit", status=ImportRun.Status.RUNNING)

    assert scan_queue.import_runs_sweep_abandoned() == 0
    assert ImportRun.objects.get().status == ImportRun.Status.RUNNING


@pytest.mark.postgresql  # row locks
def test_the_sweep_leaves_a_run_alone_while_its_import_holds_the_project_lock(project):
    run = ImportRun.objects.create(project=project, format="bandit", status=ImportRun.Status.RUNNING)
    locked, release = threading.Event(), threading.Event()

    def importing():
        try:
            with transaction.atomic():
                list(Project.objects.select_for_update().filter(pk=project.pk).values_list("pk"))
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=importing)
    holder.start()
    try:
        assert locked.wait(30)
        assert scan_queue.import_runs_sweep_abandoned(older_than_seconds=0) == 0
        assert ImportRun.objects.get(pk=run.pk).status == ImportRun.Status.RUNNING
    finally:
        release.set()
        holder.join(30)

    assert scan_queue.import_runs_sweep_abandoned(older_than_seconds=0) == 1


def test_beat_runs_the_sweep_every_five_minutes():
    from django_celery_beat.models import PeriodicTask

    from findings.tasks import sweep_abandoned_imports

    task = PeriodicTask.objects.get(name="sweep-abandoned-scan-imports")
    assert task.task == sweep_abandoned_imports.name
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    assert task.enabled
