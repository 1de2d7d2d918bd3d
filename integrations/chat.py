"""Slack and Microsoft Teams digests: the events of one project since the last send, in one
message. A flush claims its events (one UPDATE) before sending, so two flushes never send the
same event twice."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.html import escape

from integrations import outbound
from integrations.crypto import decrypt, encrypt
from integrations.models import ChatChannel, ChatEvent
from integrations.services import WebhookInvalid, check_target, clean_events
from projects.models import Project

MAX_LINES = 20  # a digest lists at most this many events, then says how many more


def channel_create(
    *, name: str, kind: str, url: str, events: list[str], project: Project | None = None
) -> ChatChannel:
    check_target(url)
    if kind not in ChatChannel.Kind.values:
        raise WebhookInvalid(f"unknown chat kind {kind!r} (expected slack or teams)")
    parts = urlsplit(url)
    return ChatChannel.objects.create(
        name=name,
        kind=kind,
        url_encrypted=encrypt(url),
        url_hint=f"{parts.hostname}{parts.path[:20]}…",
        events=clean_events(events),
        project=project,
    )


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _lines(events: list[ChatEvent]) -> tuple[list[ChatEvent], int]:
    return events[:MAX_LINES], max(0, len(events) - MAX_LINES)


def slack_message(project: Project, events: list[ChatEvent]) -> dict:
    shown, more = _lines(events)
    rows = []
    for e in shown:
        text = _slack_escape(e.text)
        rows.append(f"• <{e.url}|{text}>" if e.url else f"• {text}")
    if more:
        rows.append(f"… and {more} more")
    title = f"auditor: {len(events)} event(s) for {project.name}"
    return {
        "text": _slack_escape(title),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(rows)[:3000]}},
        ],
    }


def teams_message(project: Project, events: list[ChatEvent]) -> dict:
    shown, more = _lines(events)
    rows = [f"[{escape(e.text)}]({e.url})" if e.url else escape(e.text) for e in shown]
    if more:
        rows.append(f"… and {more} more")
    title = f"auditor: {len(events)} event(s) for {escape(project.name)}"
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": title,
        "title": title,
        "sections": [{"text": "<br>".join(rows)}],
    }


def chat_flush(*, channel_id: int) -> int:
    """Send the channel's unclaimed events, one message per project; returns messages sent."""
    channel = ChatChannel.objects.filter(pk=channel_id).first()
    if channel is None:
        return 0
    batch = uuid.uuid4()
    ChatEvent.objects.filter(channel_id=channel_id, batch__isnull=True).update(batch=batch)
    events = list(
        ChatEvent.objects.filter(batch=batch).select_related("project").order_by("created_at", "pk")
    )
    by_project: dict[int, list[ChatEvent]] = defaultdict(list)
    for event in events:
        by_project[event.project_id].append(event)
    sent = 0
    for project_events in by_project.values():
        project = project_events[0].project
        message = (slack_message if channel.kind == ChatChannel.Kind.SLACK else teams_message)(
            project, project_events
        )
        if not channel.active:
            result = outbound.PostResult(None, 0, "channel deactivated")
        else:
            body = json.dumps(message).encode()
            result = outbound.post(
                decrypt(channel.url_encrypted), body=body, headers={"content-type": "application/json"}
            )
        ChatEvent.objects.filter(pk__in=[e.pk for e in project_events]).update(
            sent_at=timezone.now() if result.ok else None,
            error="" if result.ok else (result.error or f"HTTP {result.status}")[:500],
        )
        sent += int(result.ok)
    return sent
