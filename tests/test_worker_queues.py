"""Two real workers on Redis, one per queue: a saturated scan queue never delays short work.

The scans worker's only process is held by a test-only task, and real re-scans wait behind it
in the "scans" queue; meanwhile the default worker runs a heartbeat, the reminder digest and a
global score recompute, each within seconds.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from auditor.celery import app
from auditor.testing import running_celery_worker, wait_until
from checklists.models import Checklist, ChecklistItem, ReminderDelivery
from checklists.tasks import send_reminders
from conftest import make_user
from ops.models import Heartbeat
from ops.tasks import heartbeat
from projects.models import Audit, DomainScore, MaturityDomain, Project
from rescans import services as rescans
from scoring.tasks import recompute_global_scores
from tests.worker_tasks import HOLD_TASK

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
QUEUES = ("default", "scans")
PROMPTLY = 15  # seconds for three short tasks on a warm worker (a loaded CI machine included)


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*QUEUES)
    yield client
    client.delete(*QUEUES)


def short_work_waiting() -> tuple[Audit, int]:
    """An overdue checklist (one reminder to send) and an audit whose global score is stale."""
    project = Project.objects.create(name="Short work", slug="short-work")
    owner = make_user("queue-owner")
    checklist = Checklist.objects.create(
        project=project, owner=owner, due_date=timezone.localdate() - dt.timedelta(days=1), title="Release"
    )
    ChecklistItem.objects.create(checklist=checklist, order=1, section="Main", text="Backups tested")
    audit = Audit.objects.create(project=project, title="Manual audit", status=Audit.Status.COMPLETED)
    security = MaturityDomain.objects.get(slug="security")
    DomainScore.objects.create(audit=audit, domain=security, score=Decimal("7.0"))
    Audit.objects.filter(pk=audit.pk).update(global_score=None)
    return audit, security.pk


def test_reminders_and_recomputes_run_while_the_scan_queue_is_saturated(broker, tmp_path):
    audit, domain_id = short_work_waiting()
    scanned = [
        Project.objects.create(
            name=f"Repo {i}", slug=f"repo-{i}", repository_url=f"https://git.example.com/r{i}.git"
        )
        for i in range(3)
    ]
    started, release = tmp_path / "started", tmp_path / "release"
    email_url = f"filemail:///{tmp_path / 'outbox'}"

    with (
        running_celery_worker(queues="scans", extra_args=("--include=tests.worker_tasks",)) as scans,
        running_celery_worker(queues="default", extra_env={"EMAIL_URL": email_url}) as default,
    ):
        try:
            # Both workers up first, so the time measured below is waiting, not start-up.
            heartbeat.delay(name="default-up")
            up = wait_until(lambda: Heartbeat.objects.filter(name="default-up").exists(), timeout=90)
            assert up, "the default worker did not start"
            app.send_task(HOLD_TASK, args=[str(started), str(release)], queue="scans")
            assert wait_until(started.exists, timeout=90), scans.output if scans.poll() else "scans busy?"
            # Real re-scans, routed by the settings alone, wait behind the held process.
            queued = [rescans.project_rescan_request(project_id=p.pk, reason="test") for p in scanned]
            assert broker.llen("scans") == len(queued)

            sent_at = time.monotonic()
            heartbeat.delay(name="queues-test")
            send_reminders.delay()
            recompute_global_scores.delay(domain_id)
            done = wait_until(
                lambda: (
                    Heartbeat.objects.filter(name="queues-test").exists()
                    and ReminderDelivery.objects.filter(status="sent").exists()
                    and Audit.objects.filter(pk=audit.pk, global_score__isnull=False).exists()
                ),
                timeout=PROMPTLY + 60,
            )
            elapsed = time.monotonic() - sent_at

            # The scan queue was saturated the whole time: nothing of it started.
            assert broker.llen("scans") == len(queued)
            assert not Audit.objects.filter(pk__in=[a.pk for a in queued], started_at__isnull=False).exists()
            assert started.read_text() == "started\n"
        finally:
            broker.delete(*QUEUES)
            release.touch()

    assert done, f"short work did not run; default worker log:\n{default.output[-3000:]}"
    print(f"short work done in {elapsed:.2f} s while the scan queue was saturated")
    assert elapsed < PROMPTLY, f"short work took {elapsed:.1f} s behind a saturated scan queue"
    audit.refresh_from_db()
    assert audit.global_score == Decimal("7.0")
    # Each worker received only its queue's tasks.
    assert "Task projects.heartbeat[" in default.output and "Task projects.rescan[" not in default.output
    assert f"Task {HOLD_TASK}[" in scans.output and "Task checklists.send_reminders[" not in scans.output
