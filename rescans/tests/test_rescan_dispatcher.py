"""The beat-driven dispatcher claims each due project once; the sweep fails abandoned runs."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from projects import schedule
from projects.models import Audit, Project
from rescans import dispatcher
from rescans import services as service

NOW = dt.datetime(2026, 11, 22, 2, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
def broker():
    """The real Redis broker of these tests, with the scans queue emptied before and after."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("scans")
    yield client
    client.delete("scans")


def queued_audit_ids(client) -> list[int]:
    ids = []
    for raw in client.lrange("scans", 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == "projects.rescan"
        body = json.loads(base64.b64decode(message["body"]))
        ids.append(body[0][0])
    return ids


def make_due_projects(n: int) -> list[Project]:
    return [
        Project.objects.create(
            name=f"P{i}",
            slug=f"p{i}",
            repository_url=f"https://git.example.com/p{i}.git",
            scan_schedule="0 2 * * *",
            next_scan_at=NOW - dt.timedelta(minutes=1),
        )
        for i in range(n)
    ]


@pytest.mark.redis  # reads the real queue
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_dispatcher_runs_at_once_enqueue_each_due_project_once(broker):
    projects = make_due_projects(20)
    Project.objects.create(
        name="Later",
        slug="later",
        repository_url="https://git.example.com/l.git",
        scan_schedule="0 2 * * *",
        next_scan_at=NOW + dt.timedelta(hours=1),
    )
    Project.objects.create(
        name="Off",
        slug="off",
        repository_url="https://git.example.com/o.git",
        is_active=False,
        next_scan_at=NOW - dt.timedelta(hours=1),
    )
    results: list[list[int]] = []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(dispatcher.dispatch_due(now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    claimed = results[0] + results[1]
    assert sorted(claimed) == sorted(p.pk for p in projects)  # each once, none twice
    audits = Audit.objects.filter(kind=Audit.Kind.AUTOMATED)
    assert audits.count() == 20
    assert sorted(queued_audit_ids(broker)) == sorted(audits.values_list("pk", flat=True))
    # Each claimed project is re-armed for its next occurrence (tomorrow 02:00), shifted by its
    # own offset: twenty projects, twenty different minutes within the jitter window.
    tomorrow = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    rearmed = dict(Project.objects.filter(pk__in=claimed).values_list("pk", "next_scan_at"))
    assert rearmed == {pk: tomorrow + schedule.jitter("0 2 * * *", pk, NOW) for pk in claimed}
    window = dt.timedelta(seconds=settings.SCAN_JITTER_SECONDS)
    assert all(tomorrow <= at < tomorrow + window for at in rearmed.values())
    assert len({at.replace(second=0) for at in rearmed.values()}) == 20


@pytest.mark.django_db
def test_a_due_project_whose_scan_is_still_running_is_rearmed_but_not_queued_twice(
    project, django_capture_on_commit_callbacks
):
    project.repository_url = "https://git.example.com/x.git"
    project.scan_schedule = "@every 6h"
    project.next_scan_at = NOW - dt.timedelta(minutes=5)
    project.save()
    running = service.project_rescan_request(project_id=project.pk, enqueue=False)

    assert dispatcher.dispatch_due(now=NOW) == [project.pk]
    assert list(Audit.objects.filter(project=project).values_list("pk", flat=True)) == [running.pk]
    project.refresh_from_db()
    assert project.next_scan_at == NOW + dt.timedelta(hours=6)


@pytest.mark.django_db
def test_a_project_with_an_invalid_schedule_is_scanned_once_and_its_schedule_turned_off(project):
    # Project.save() refuses it; a bulk path (queryset update, SQL) does not.
    Project.objects.filter(pk=project.pk).update(
        repository_url="https://git.example.com/x.git",
        scan_schedule="every tuesday",
        next_scan_at=NOW - dt.timedelta(minutes=5),
    )

    assert dispatcher.dispatch_due(now=NOW) == [project.pk]
    project.refresh_from_db()
    assert project.next_scan_at is None


@pytest.mark.django_db
def test_an_abandoned_run_is_swept_as_failed_and_retried_once(project, settings):
    settings.SCAN_MAX_SECONDS = 600
    project.repository_url = "https://git.example.com/x.git"
    project.save()
    audit = service.project_rescan_request(project_id=project.pk, enqueue=False)
    long_ago = timezone.now() - dt.timedelta(seconds=700)
    # What a worker killed (kill -9) mid-scan leaves: claimed, still running, 700 s old.
    Audit.objects.filter(pk=audit.pk).update(started_at=long_ago, created_at=long_ago)
    recent = Audit.objects.create(
        project=project,
        title="recent",
        kind=Audit.Kind.AUTOMATED,
        status=Audit.Status.IN_PROGRESS,
        started_at=timezone.now(),
    )

    assert dispatcher.sweep_abandoned() == [audit.pk]

    audit.refresh_from_db()
    assert audit.status == Audit.Status.FAILED
    assert audit.rescan_run.outcome == "abandoned"
    assert "abandoned" in audit.rescan_run.error
    recent.refresh_from_db()
    assert recent.status == Audit.Status.IN_PROGRESS  # younger than the maximum: left alone
    # A run never completes after being swept: the worker, if it comes back, discards its work.
    assert service.audit_rescan_run(audit_id=audit.pk) is None


@pytest.mark.django_db
def test_a_retried_run_that_is_abandoned_again_is_not_retried_a_second_time(project, settings):
    settings.SCAN_MAX_SECONDS = 600
    project.repository_url = "https://git.example.com/x.git"
    project.save()
    audit = service.project_rescan_request(project_id=project.pk, enqueue=False)
    long_ago = timezone.now() - dt.timedelta(seconds=700)
    Audit.objects.filter(pk=audit.pk).update(started_at=long_ago, created_at=long_ago)
    dispatcher.sweep_abandoned()
    retry = service.running_scan(project_id=project.pk)
    assert retry is not None and retry.rescan_run.reason == "retry"

    Audit.objects.filter(pk=retry.pk).update(started_at=long_ago, created_at=long_ago)
    assert dispatcher.sweep_abandoned() == [retry.pk]
    assert service.running_scan(project_id=project.pk) is None


@pytest.fixture
def dead_broker():
    """The real Celery app pointed at a port where nothing listens (the broker is down)."""
    from auditor.celery import app

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    old = app.conf.broker_url, app.conf.broker_write_url
    reset_pools()
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:9/0"
    yield app
    app.conf.broker_url, app.conf.broker_write_url = old
    reset_pools()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_when_the_broker_is_down_the_dispatcher_gives_the_claim_back_and_leaves_nothing_running(dead_broker):
    [project] = make_due_projects(1)

    assert dispatcher.dispatch_due(now=NOW) == []

    project.refresh_from_db()
    assert project.next_scan_at == NOW - dt.timedelta(minutes=1)  # due again next minute
    [audit] = Audit.objects.filter(project=project)
    assert audit.status == Audit.Status.FAILED
    assert audit.rescan_run.error == service.QUEUE_UNAVAILABLE
    assert service.running_scan(project_id=project.pk) is None


@pytest.mark.django_db
def test_one_beat_entry_runs_the_dispatcher_every_minute_and_no_project_has_its_own():
    from django_celery_beat.models import PeriodicTask

    from auditor.celery import app
    from rescans import tasks  # noqa: F401 - registers the tasks, as the worker's autodiscovery does

    entries = PeriodicTask.objects.filter(task__startswith="projects.rescan")
    assert [(e.name, e.task, e.interval.every, e.interval.period, e.enabled) for e in entries] == [
        ("rescan-dispatch-every-minute", "projects.rescan_dispatch", 1, "minutes", True)
    ]
    assert {"projects.rescan", "projects.rescan_dispatch"} <= set(app.tasks.keys())
    assert app.tasks["projects.rescan"].acks_late and app.tasks["projects.rescan"].reject_on_worker_lost
