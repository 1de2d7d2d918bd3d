"""A real Celery worker, on the configured broker, runs our tasks against our database."""

import pytest

from auditor.testing import running_celery_worker, wait_until
from ops.models import Heartbeat
from ops.tasks import heartbeat

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_executes_a_task_and_its_result_is_in_the_database():
    assert not Heartbeat.objects.filter(name="worker-test").exists()

    with running_celery_worker() as worker:
        heartbeat.delay(name="worker-test")
        row = wait_until(lambda: Heartbeat.objects.filter(name="worker-test").first(), timeout=90)

    assert row is not None, f"the worker never ran the task; its log:\n{worker.output[-3000:]}"
    assert "projects.heartbeat" in worker.output
