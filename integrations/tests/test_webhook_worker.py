"""A real Celery worker delivers a webhook to a receiver that fails twice, then accepts it."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.db import transaction
from standardwebhooks.webhooks import Webhook as ReferenceVerifier

from auditor.testing import running_celery_worker, wait_until
from integrations.models import WebhookAttempt, WebhookDelivery
from integrations.services import send_test_event, webhook_create
from integrations.tests.receiver import receiver
from projects.models import Project

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("default")
    yield client
    client.delete("default")


def test_the_worker_retries_with_backoff_until_the_receiver_accepts(broker):
    project = Project.objects.create(name="Hooked", slug="hooked")
    worker_env = {"WEBHOOK_RETRY_DELAYS": "1,2,30", "WEBHOOK_ALLOWED_PRIVATE_HOSTS": "127.0.0.1"}
    with receiver([500, 503]) as server:
        webhook, secret = webhook_create(
            name="Flaky", url=server.url, events=["gate.changed"], project=project
        )
        with running_celery_worker(queues="default", extra_env=worker_env) as worker:
            with transaction.atomic():
                delivery = send_test_event(webhook=webhook)  # queued when this commits
            done = wait_until(
                lambda: WebhookDelivery.objects.filter(pk=delivery.pk, state="succeeded").exists(), timeout=90
            )
        assert done, worker.output[-3000:]

    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [(a.number, a.response_code) for a in attempts] == [(1, 500), (2, 503), (3, 200)]
    # Backoff: the second attempt came about 1 s after the first, the third about 2 s later.
    gaps = [
        (b.started_at - a.started_at).total_seconds() for a, b in zip(attempts, attempts[1:], strict=False)
    ]
    assert gaps[0] >= 1 and gaps[1] >= 2, gaps
    assert len(server.requests) == 3
    ids = {r.headers["webhook-id"] for r in server.requests}
    assert ids == {delivery.message_id}  # one message id across retries, as receivers de-duplicate by it
    for request in server.requests:
        ReferenceVerifier(secret).verify(request.body, request.headers)
