"""Webhooks: create (the secret shown once), deliver one attempt, retry with backoff, test."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations import event_types, outbound, signing
from integrations.crypto import decrypt, encrypt, new_signing_secret
from integrations.events import payload, queue_delivery
from integrations.models import Webhook, WebhookAttempt, WebhookDelivery
from projects.models import Project


class WebhookInvalid(ValueError):
    """The webhook's URL or events are not acceptable; the message says why."""


def clean_events(events) -> list[str]:
    known = {value for value, _label in event_types.SUBSCRIBABLE}
    if not isinstance(events, list) or not events:
        raise WebhookInvalid("choose at least one event")
    unknown = [e for e in events if e not in known]
    if unknown:
        raise WebhookInvalid(
            f"unknown event(s): {', '.join(map(str, unknown))} (expected {', '.join(sorted(known))})"
        )
    return sorted(set(events))


def check_target(url: str) -> None:
    """URL rules at save time (scheme, host allowed); addresses are checked again at each send."""
    try:
        outbound.check_url(url)
    except outbound.UrlRefused as exc:
        raise WebhookInvalid(str(exc)) from exc


def webhook_create(
    *, name: str, url: str, events: list[str], project: Project | None = None, user=None
) -> tuple[Webhook, str]:
    """Create a webhook; returns it and its signing secret, which is never shown again."""
    check_target(url)
    secret = new_signing_secret()
    webhook = Webhook.objects.create(
        name=name,
        url=url,
        events=clean_events(events),
        project=project,
        secret_encrypted=encrypt(secret),
        created_by=user,
    )
    return webhook, secret


def body_bytes(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()


def retry_delay(attempt: int) -> int | None:
    """Seconds before attempt `attempt + 1`, or None when `attempt` was the last one."""
    delays = settings.WEBHOOK_RETRY_DELAYS
    return delays[attempt - 1] if attempt - 1 < len(delays) else None


def delivery_attempt(*, delivery_id: int, attempt: int) -> int | None:
    """Make attempt number `attempt` of a delivery, once (a duplicate task finds it claimed).
    Returns the seconds to wait before the next attempt, or None when done."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=WebhookDelivery.State.PENDING, attempts=attempt - 1
    ).update(attempts=attempt)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    started = timezone.now()
    if not webhook.active:
        result = outbound.PostResult(None, 0, "webhook deactivated")
    else:
        body = body_bytes(delivery)
        timestamp = int(started.timestamp())
        try:
            secret = decrypt(webhook.secret_encrypted)
        except Exception as exc:  # noqa: BLE001  # recorded on the delivery, never raised in a worker
            result = outbound.PostResult(None, 0, str(exc))
        else:
            headers = signing.headers(
                secret=secret, message_id=delivery.message_id, timestamp=timestamp, body=body
            )
            result = outbound.post(webhook.url, body=body, headers=headers)
    delay = None if result.ok or not webhook.active else retry_delay(attempt)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=attempt,
            started_at=started,
            response_code=result.status,
            duration_ms=result.duration_ms,
            error=result.error[:500],
        )
        if result.ok:
            state, next_at = WebhookDelivery.State.SUCCEEDED, None
        elif delay is None:
            state, next_at = WebhookDelivery.State.FAILED, None
        else:
            state, next_at = WebhookDelivery.State.PENDING, timezone.now() + dt.timedelta(seconds=delay)
        WebhookDelivery.objects.filter(pk=delivery_id).update(
            state=state, last_response_code=result.status, next_attempt_at=next_at
        )
    return delay


def send_test_event(*, webhook: Webhook) -> WebhookDelivery:
    """Queue a "webhook.test" delivery to one webhook (whatever it subscribes to)."""
    body = payload(
        event_types.TEST,
        {"webhook": webhook.name, "project": webhook.project.slug if webhook.project else None},
    )
    return queue_delivery(webhook, event=event_types.TEST, project=webhook.project, body=body)
