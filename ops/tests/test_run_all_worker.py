"""The one worker of `make run` consumes both queues, on whatever broker is configured."""

import pytest

from auditor.celery import app
from auditor.testing import running_celery_worker, wait_until
from ops.management.commands.run_all import WORKER_QUEUES, worker_command
from ops.models import Heartbeat

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_the_make_run_worker_runs_tasks_of_the_default_and_the_scans_queue():
    assert f"--queues={WORKER_QUEUES}" in worker_command("python")
    assert set(WORKER_QUEUES.split(",")) == set(app.amqp.queues)  # no queue left unserved

    with running_celery_worker(queues=WORKER_QUEUES) as worker:
        for queue in ("default", "scans"):
            app.send_task("projects.heartbeat", kwargs={"name": f"on-{queue}"}, queue=queue)
        both = wait_until(lambda: Heartbeat.objects.filter(name__startswith="on-").count() == 2, timeout=90)

    assert both, f"the worker did not serve both queues; its log:\n{worker.output[-3000:]}"
