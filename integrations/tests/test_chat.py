"""Slack and Teams digests: one message per project per batch, claimed before sending."""

from __future__ import annotations

import json

import pytest

from auditor.celery import app
from integrations import event_types
from integrations.chat import channel_create, chat_flush
from integrations.models import ChatEvent
from integrations.tests.receiver import receiver
from projects.models import Audit
from scoring.signals import gate_changed, scores_changed

pytestmark = pytest.mark.django_db
EVENTS = [event_types.SCORES_CHANGED, event_types.GATE_CHANGED]


def burst(project, audit, times: int) -> None:
    for i in range(times):
        scores_changed.send(
            sender=Audit, project=project, audit=audit, changes={"security": (float(i), i + 1.0)}
        )
    gate_changed.send(sender=Audit, project=project, audit=audit, old="unknown", new="not_ready")


def test_a_burst_of_events_becomes_one_slack_message_per_project(project, other_project, audit):
    other_audit = Audit.objects.create(project=other_project, title="Other audit")
    with receiver() as server:
        channel_create(name="Team", kind="slack", url=server.url, events=EVENTS)  # global
        burst(project, audit, 5)
        burst(other_project, other_audit, 2)
        assert chat_flush(channel_id=ChatEvent.objects.first().channel_id) == 2
        assert chat_flush(channel_id=ChatEvent.objects.first().channel_id) == 0  # nothing twice

    assert len(server.requests) == 2
    messages = {json.loads(r.body)["blocks"][0]["text"]["text"]: json.loads(r.body) for r in server.requests}
    ours = messages[f"auditor: 6 event(s) for {project.name}"]
    lines = ours["blocks"][1]["text"]["text"].splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("• <http") and "Scores changed: security 0.0 → 1.0" in lines[0]
    assert "Gate changed: Unknown → Not production ready" in lines[-1]
    assert f"auditor: 3 event(s) for {other_project.name}" in messages
    assert ChatEvent.objects.filter(sent_at__isnull=True).count() == 0


def test_teams_gets_a_message_card_with_user_text_escaped(project, audit):
    project.name = "<b>Evil & co</b>"
    project.save()
    with receiver() as server:
        channel = channel_create(name="Teams", kind="teams", url=server.url, events=EVENTS, project=project)
        burst(project, audit, 1)
        assert chat_flush(channel_id=channel.pk) == 1
    card = json.loads(server.requests[0].body)
    assert card["@type"] == "MessageCard" and card["@context"] == "https://schema.org/extensions"
    assert card["title"] == "auditor: 2 event(s) for &lt;b&gt;Evil &amp; co&lt;/b&gt;"
    assert "<b>" not in card["title"] and len(card["sections"][0]["text"].split("<br>")) == 2


def test_a_failed_send_is_recorded_and_not_repeated(project, audit):
    with receiver([500]) as server:
        channel = channel_create(name="Down", kind="slack", url=server.url, events=EVENTS, project=project)
        burst(project, audit, 1)
        assert chat_flush(channel_id=channel.pk) == 0
        assert chat_flush(channel_id=channel.pk) == 0
    assert len(server.requests) == 1
    assert set(ChatEvent.objects.values_list("error", flat=True)) == {"receiver says no [31m"}


def test_events_within_the_window_wait_for_the_next_digest(
    project, audit, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True  # a scheduled flush runs at once, in this process
    try:
        with receiver() as server:
            channel = channel_create(
                name="Team", kind="slack", url=server.url, events=EVENTS, project=project
            )
            with django_capture_on_commit_callbacks(execute=True):
                burst(project, audit, 3)
            assert len(server.requests) == 1  # the first event opened the window; one digest
            with django_capture_on_commit_callbacks(execute=True):
                burst(project, audit, 10)
            # The window is still open: no flush was scheduled, the 11 events wait.
            assert len(server.requests) == 1
            assert ChatEvent.objects.filter(sent_at__isnull=True).count() == 11
            cache.delete(f"integrations:chat-flush:{channel.pk}")  # the window has passed
            with django_capture_on_commit_callbacks(execute=True):
                burst(project, audit, 0)
    finally:
        app.conf.task_always_eager = before
    assert len(server.requests) == 2
    second = json.loads(server.requests[1].body)
    assert second["text"] == f"auditor: 12 event(s) for {project.name}"
    assert ChatEvent.objects.filter(sent_at__isnull=True).count() == 0
