"""A webhook attempt or a chat digest whose task was lost is queued again by the minute sweep,
and sent once: the sweep races nothing it could send twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from auditor.celery import app
from integrations import event_types
from integrations.chat import channel_create
from integrations.models import ChatEvent, WebhookDelivery
from integrations.services import send_test_event, webhook_create
from integrations.sweeps import sweep_lost_work
from integrations.tests.receiver import receiver
from projects.models import Audit
from scoring.signals import gate_changed

pytestmark = pytest.mark.django_db
LONG_AGO = dt.timedelta(minutes=30)


@pytest.fixture
def eager():
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the real tasks, run in this process
    yield
    app.conf.task_always_eager = before


def test_a_delivery_whose_task_was_lost_is_sent_once(project, eager):
    with receiver() as server:
        webhook, _secret = webhook_create(
            name="CI", url=server.url, events=[event_types.GATE_CHANGED], project=project
        )
        lost = send_test_event(webhook=webhook)  # inside the test's transaction: no task ran
        fresh = send_test_event(webhook=webhook)
        WebhookDelivery.objects.filter(pk=lost.pk).update(next_attempt_at=timezone.now() - LONG_AGO)

        assert sweep_lost_work() == (1, 0)
        assert sweep_lost_work() == (0, 0)

    assert len(server.requests) == 1
    assert server.requests[0].headers["webhook-id"] == lost.message_id
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert (lost.state, lost.attempts) == ("succeeded", 1)
    assert (fresh.state, fresh.attempts) == ("pending", 0)  # its own task may still come


def test_an_overdue_retry_is_made_as_the_next_attempt(project, eager):
    with receiver() as server:
        webhook, _secret = webhook_create(
            name="CI", url=server.url, events=[event_types.GATE_CHANGED], project=project
        )
        delivery = send_test_event(webhook=webhook)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=2, next_attempt_at=timezone.now() - LONG_AGO
        )
        assert sweep_lost_work() == (1, 0)

    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("succeeded", 3)
    assert list(delivery.attempt_log.values_list("number", flat=True)) == [3]
    assert len(server.requests) == 1


def test_chat_events_whose_flush_was_lost_are_sent_in_one_message(project, audit):
    with receiver() as server:
        channel_create(
            name="Team", kind="slack", url=server.url, events=[event_types.GATE_CHANGED], project=project
        )
        # Queued to the broker, where no worker takes them: the flush task is "lost".
        gate_changed.send(sender=Audit, project=project, audit=audit, old="unknown", new="not_ready")
        gate_changed.send(sender=Audit, project=project, audit=audit, old="not_ready", new="ready")
        assert ChatEvent.objects.filter(batch__isnull=True).count() == 2
        before = app.conf.task_always_eager
        app.conf.task_always_eager = True
        try:
            assert sweep_lost_work() == (0, 0)  # within their window: the flush may still come
            ChatEvent.objects.update(created_at=timezone.now() - LONG_AGO)
            assert sweep_lost_work() == (0, 1)
            assert sweep_lost_work() == (0, 0)
        finally:
            app.conf.task_always_eager = before

    assert len(server.requests) == 1
    assert ChatEvent.objects.filter(sent_at__isnull=True).count() == 0
