"""Celery tasks (default queue): one webhook attempt, one chat digest flush."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="integrations.deliver_webhook", ignore_result=True)
def deliver_webhook(delivery_id: int, attempt: int) -> None:
    from integrations.services import delivery_attempt

    delay = delivery_attempt(delivery_id=delivery_id, attempt=attempt)
    if delay is not None:
        deliver_webhook.apply_async((delivery_id, attempt + 1), countdown=delay)


@shared_task(name="integrations.flush_chat", ignore_result=True)
def flush_chat(channel_id: int) -> None:
    from integrations.chat import chat_flush

    chat_flush(channel_id=channel_id)


@shared_task(name="integrations.sweep_lost_work", ignore_result=True)
def sweep_lost_work() -> None:
    from integrations.sweeps import sweep_lost_work as sweep

    sweep()
