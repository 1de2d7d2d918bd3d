"""From an event to its work: one WebhookDelivery per subscribed webhook and one ChatEvent per
subscribed chat channel, queued after commit."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations import event_types
from integrations.models import ChatChannel, ChatEvent, Webhook, WebhookDelivery
from projects.models import Project


def payload(event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks body: type, timestamp and the event's data (JSON-safe)."""
    import json

    safe = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return {"type": event, "timestamp": timezone.now().isoformat(), "data": safe}


def _subscribed(model, event: str, project: Project | None):
    scope = Q(project__isnull=True) if project is None else Q(project__isnull=True) | Q(project=project)
    return [row for row in model.objects.filter(scope, active=True) if event in (row.events or [])]


def queue_delivery(
    webhook: Webhook, *, event: str, project: Project | None, body: dict[str, Any]
) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        webhook=webhook,
        project=project,
        event=event,
        message_id=f"msg_{uuid.uuid4().hex}",
        payload=body,
        next_attempt_at=timezone.now(),
    )

    def enqueue() -> None:
        from integrations.tasks import deliver_webhook

        deliver_webhook.delay(delivery.pk, 1)

    transaction.on_commit(enqueue)
    return delivery


def _schedule_flush(channel_id: int) -> None:
    window = settings.CHAT_DIGEST_WINDOW_SECONDS
    # One flush per channel and window, however many events arrive meanwhile.
    if not cache.add(f"integrations:chat-flush:{channel_id}", 1, timeout=max(window, 1)):
        return
    from integrations.tasks import flush_chat

    flush_chat.apply_async((channel_id,), countdown=window)


def emit(event: str, *, project: Project | None, data: dict[str, Any], text: str, url: str = "") -> int:
    """Queue `event` for every active webhook and chat channel subscribed to it (the project's own
    and the global ones); returns how many were queued. Call inside or outside a transaction."""
    body = payload(event, data)
    queued = 0
    for webhook in _subscribed(Webhook, event, project):
        queue_delivery(webhook, event=event, project=project, body=body)
        queued += 1
    if project is not None:
        for channel in _subscribed(ChatChannel, event, project):
            ChatEvent.objects.create(channel=channel, project=project, event=event, text=text[:1000], url=url)
            transaction.on_commit(lambda channel_id=channel.pk: _schedule_flush(channel_id))
            queued += 1
    return queued


__all__ = ["emit", "event_types", "payload", "queue_delivery"]
