"""The safety net for lost tasks: a webhook delivery whose next attempt's task never ran (a
broker restart, a worker killed) and chat events whose flush task was lost are picked up again.
Both tasks claim their work in the database, so a sweep that races a late task sends once."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from integrations.models import ChatEvent, WebhookDelivery

# A task is counted lost once it is this late: long enough for a busy queue to reach it.
GRACE = dt.timedelta(minutes=5)


def lost_deliveries(now: dt.datetime) -> list[tuple[int, int]]:
    """(delivery id, next attempt number) of pending deliveries whose attempt is overdue."""
    late = now - GRACE
    rows = WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING).filter(
        Q(next_attempt_at__lte=late) | Q(next_attempt_at__isnull=True, attempts=0, created_at__lte=late)
    )
    return [(pk, attempts + 1) for pk, attempts in rows.values_list("pk", "attempts")[:500]]


def lost_chat_channels(now: dt.datetime) -> list[int]:
    """Channels holding events that no flush claimed although their window has long passed."""
    late = now - GRACE - dt.timedelta(seconds=settings.CHAT_DIGEST_WINDOW_SECONDS)
    return list(
        ChatEvent.objects.filter(batch__isnull=True, created_at__lte=late)
        .order_by()  # the model's ordering would make DISTINCT keep one row per event
        .values_list("channel_id", flat=True)
        .distinct()
    )


def sweep_lost_work() -> tuple[int, int]:
    """Queue again what was lost; returns (deliveries, channels) queued."""
    from integrations.tasks import deliver_webhook, flush_chat

    now = timezone.now()
    deliveries = lost_deliveries(now)
    for delivery_id, attempt in deliveries:
        deliver_webhook.delay(delivery_id, attempt)
    channels = lost_chat_channels(now)
    for channel_id in channels:
        flush_chat.delay(channel_id)
    return len(deliveries), len(channels)
