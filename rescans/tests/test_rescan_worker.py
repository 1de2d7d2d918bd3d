"""The whole re-scan path through a real Celery worker and Redis, and a worker killed mid-scan."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from pathlib import Path

import pytest
from django.utils import timezone

from auditor.testing import running_celery_worker, wait_until
from findings.models import Finding
from projects.models import Audit, Project
from rescans import dispatcher
from rescans import services as service
from rescans.tests.scanrepo import APP_V1, make_repo

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def make_project(tmp_path, files=None) -> Project:
    repo = make_repo(tmp_path / "repo", files)
    return Project.objects.create(name="Worker demo", slug="worker-demo", repository_url=str(repo))


def test_a_rescan_queued_from_the_request_service_is_run_by_a_real_worker(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    project = make_project(tmp_path)

    with running_celery_worker(extra_env={"SCAN_LOCAL_ROOTS": str(tmp_path)}) as worker:
        audit = service.project_rescan_request(project_id=project.pk, reason="test")
        done = wait_until(
            lambda: Audit.objects.filter(pk=audit.pk, status__in=["completed", "failed"]).first(), timeout=120
        )

    assert done is not None, f"the worker never finished the scan; its log:\n{worker.output[-3000:]}"
    assert done.status == Audit.Status.COMPLETED, done.rescan_run.error
    assert done.rescan_run.missing == []
    assert Finding.objects.filter(project=project, tool="bandit", status="open").count() == 6
    assert done.global_score is not None
    assert "projects.rescan" in worker.output


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.redis  # redelivery of an unacknowledged task after a kill -9
def test_a_worker_killed_mid_scan_leaves_a_running_audit_that_the_sweep_marks_abandoned(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    # Enough code that the scan lasts a few seconds: time to kill the worker in the middle.
    files = {f"pkg/mod{i}.py": APP_V1 * 20 for i in range(150)}
    project = make_project(tmp_path, files)

    with running_celery_worker(extra_env={"SCAN_LOCAL_ROOTS": str(tmp_path)}) as worker:
        audit = service.project_rescan_request(project_id=project.pk, reason="test")
        running = wait_until(
            lambda: Audit.objects.filter(pk=audit.pk, started_at__isnull=False).first(),
            timeout=60,
            interval=0.02,
        )
        assert running is not None, worker.output[-3000:]
        for child in _children(worker.pid):  # the pool process running the task
            os.kill(child, signal.SIGKILL)
        # The message comes back (acks_late, reject_on_worker_lost) to a fresh pool process,
        # which finds the run already claimed and leaves it alone.
        time.sleep(6)

    assert "already claimed or finished" in worker.output, worker.output[-3000:]
    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_PROGRESS  # never looks complete
    assert audit.finished_at is None and audit.global_score is None

    settings.SCAN_MAX_SECONDS = 60
    long_ago = timezone.now() - dt.timedelta(seconds=120)
    Audit.objects.filter(pk=audit.pk).update(started_at=long_ago, created_at=long_ago)
    assert dispatcher.sweep_abandoned() == [audit.pk]
    audit.refresh_from_db()
    assert audit.status == Audit.Status.FAILED
    assert audit.rescan_run.outcome == "abandoned"
    retry = service.running_scan(project_id=project.pk)
    assert retry is not None and retry.rescan_run.reason == "retry"
