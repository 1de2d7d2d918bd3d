"""Outgoing webhooks: Standard Webhooks signatures (checked with the reference library), retries
with backoff against a local HTTP server, the SSRF guard, redirects, events from the signals."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from django.db import transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as ReferenceVerifier
from standardwebhooks.webhooks import WebhookVerificationError

from auditor.celery import app
from governance.signals import exception_expiring, sla_breached
from integrations import event_types, outbound
from integrations.models import Webhook, WebhookAttempt, WebhookDelivery
from integrations.outbound import UrlRefused, check_url
from integrations.services import WebhookInvalid, delivery_attempt, send_test_event, webhook_create
from integrations.tests.receiver import receiver
from projects.models import Audit
from rescans.signals import regression_found
from scoring.signals import gate_changed, scores_changed

pytestmark = pytest.mark.django_db
ALL_EVENTS = [value for value, _label in event_types.SUBSCRIBABLE]


@pytest.fixture
def eager():
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the real task, run in this process
    yield
    app.conf.task_always_eager = before


def verify(secret: str, request) -> dict:
    return ReferenceVerifier(secret).verify(request.body, request.headers)


def test_a_gate_change_is_delivered_signed_and_verifies_with_the_reference_library(
    project, audit, eager, django_capture_on_commit_callbacks
):
    with receiver() as server:
        webhook, secret = webhook_create(name="CI", url=server.url, events=ALL_EVENTS, project=project)
        with django_capture_on_commit_callbacks(execute=True):
            gate_changed.send(sender=Audit, project=project, audit=audit, old="unknown", new="not_ready")

    assert len(server.requests) == 1
    request = server.requests[0]
    body = verify(secret, request)
    assert body["type"] == "gate.changed"
    assert body["data"]["old"] == "unknown" and body["data"]["new"] == "not_ready"
    assert body["data"]["project"]["slug"] == project.slug
    assert request.headers["webhook-signature"].startswith("v1,")
    with pytest.raises(WebhookVerificationError):
        ReferenceVerifier(secret).verify(
            request.body.replace(b"not_ready", b"production_ready"), request.headers
        )
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "succeeded" and delivery.attempts == 1 and delivery.last_response_code == 200
    assert delivery.message_id == request.headers["webhook-id"]
    # The secret is stored encrypted only.
    webhook.refresh_from_db()
    assert secret.startswith("whsec_") and secret not in webhook.secret_encrypted
    assert secret.removeprefix("whsec_") not in webhook.secret_encrypted


def test_failures_are_retried_on_the_configured_schedule_then_given_up(project, settings):
    settings.WEBHOOK_RETRY_DELAYS = (60, 300, 1800, 7200, 43200)
    with receiver([500] * 10) as server:
        webhook, _secret = webhook_create(name="Down", url=server.url, events=ALL_EVENTS, project=project)
        delivery = send_test_event(webhook=webhook)  # not committed: no task queued, attempts by hand
        delays = []
        for attempt in range(1, 7):
            before = timezone.now()
            delays.append(delivery_attempt(delivery_id=delivery.pk, attempt=attempt))
            delivery.refresh_from_db()
            if delays[-1] is not None:
                wait = delivery.next_attempt_at - before
                assert dt.timedelta(seconds=delays[-1]) <= wait < dt.timedelta(seconds=delays[-1] + 5)
        # A duplicate task for an attempt already made does nothing.
        assert delivery_attempt(delivery_id=delivery.pk, attempt=3) is None

    assert delays == [60, 300, 1800, 7200, 43200, None]
    assert len(server.requests) == 6
    assert delivery.state == "failed" and delivery.attempts == 6 and delivery.next_attempt_at is None
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery))
    assert [a.number for a in attempts] == [1, 2, 3, 4, 5, 6]
    assert {a.response_code for a in attempts} == {500}
    # The receiver's answer, sanitised: no NUL, no terminal escapes.
    assert attempts[0].error == "receiver says no [31m"


def test_redirects_are_not_followed(project):
    with receiver([302], location="/elsewhere") as server:
        webhook, _secret = webhook_create(name="Moved", url=server.url, events=ALL_EVENTS, project=project)
        delivery = send_test_event(webhook=webhook)
        delay = delivery_attempt(delivery_id=delivery.pk, attempt=1)
    assert [r.path for r in server.requests] == ["/hook"]
    assert delay == 60
    attempt = WebhookAttempt.objects.get()
    assert attempt.response_code == 302 and attempt.error == "redirect not followed"


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("https://127.0.0.2/x", "loopback"),
        ("https://10.1.2.3/x", "private"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        ("https://[::1]/x", "loopback"),
        ("https://user:pw@hooks.example.com/x", "user name or password"),
    ],
)
def test_the_ssrf_guard_refuses_private_addresses_and_plain_http(url, why, project):
    with pytest.raises(UrlRefused, match=why.split()[0]):
        check_url(url)
    with pytest.raises(WebhookInvalid):
        webhook_create(name="Bad", url=url, events=ALL_EVENTS, project=project)
    assert not Webhook.objects.exists()


def test_an_allowed_private_host_may_be_used_and_unknown_events_are_refused(project, settings):
    check_url("http://127.0.0.1:9/x")  # allowed by the test settings
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = []
    with pytest.raises(UrlRefused):
        check_url("http://127.0.0.1:9/x")
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    with pytest.raises(WebhookInvalid, match="unknown event"):
        webhook_create(name="Odd", url="http://127.0.0.1:9/x", events=["audit.deleted"], project=project)
    assert not Webhook.objects.exists()


def test_a_private_address_reached_after_creation_is_refused_at_send_time(project, settings):
    webhook, _secret = webhook_create(
        name="Later", url="http://127.0.0.1:9/x", events=ALL_EVENTS, project=project
    )
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = []
    delivery = send_test_event(webhook=webhook)
    delivery_attempt(delivery_id=delivery.pk, attempt=1)
    attempt = WebhookAttempt.objects.get()
    assert attempt.response_code is None and attempt.error.startswith("refused: the URL must use https")


def test_each_signal_queues_one_delivery_for_subscribed_webhooks_only(
    project, other_project, audit, tech_lead, django_capture_on_commit_callbacks
):
    own, _ = webhook_create(name="Own", url="http://127.0.0.1:9/a", events=ALL_EVENTS, project=project)
    everywhere, _ = webhook_create(
        name="Global", url="http://127.0.0.1:9/b", events=[event_types.SLA_BREACHED]
    )
    webhook_create(name="Other", url="http://127.0.0.1:9/c", events=ALL_EVENTS, project=other_project)
    inactive, _ = webhook_create(name="Off", url="http://127.0.0.1:9/d", events=ALL_EVENTS, project=project)
    Webhook.objects.filter(pk=inactive.pk).update(active=False)

    from findings.models import Finding
    from governance.services import exception_approve, exception_request
    from rescans.models import RescanRun

    finding = Finding.objects.create(project=project, title="Old bug", fingerprint="fp-1", severity=3)
    exception = exception_request(
        user=tech_lead, reason="false_positive", justification="Test.", finding=finding
    )
    from conftest import make_user

    exception_approve(exception=exception, user=make_user("approver", "Auditor"))
    run = RescanRun.objects.create(audit=audit)

    scores_changed.send(
        sender=Audit, project=project, audit=audit, changes={"security": (5.0, 6.5), "global": (None, 6.5)}
    )
    regression_found.send(
        sender=RescanRun, project=project, audit=audit, run=run, summary={"new": {"high": 2}}
    )
    sla_breached.send(sender=Finding, project=project, findings=[finding])
    exception_expiring.send(sender=type(exception), exception=exception, days_left=7)

    rows = {(d.webhook.name, d.event) for d in WebhookDelivery.objects.select_related("webhook")}
    assert rows == {
        ("Own", "scores.changed"),
        ("Own", "regression.found"),
        ("Own", "finding.sla_breached"),
        ("Own", "exception.expiring"),
        ("Global", "finding.sla_breached"),
    }
    scores = WebhookDelivery.objects.get(event="scores.changed").payload["data"]
    assert scores["changes"] == {"security": {"old": 5.0, "new": 6.5}, "global": {"old": None, "new": 6.5}}
    breach = WebhookDelivery.objects.filter(event="finding.sla_breached").first().payload["data"]
    assert [f["title"] for f in breach["findings"]] == ["Old bug"]
    assert WebhookDelivery.objects.get(event="exception.expiring").payload["data"]["days_left"] == 7
    assert everywhere.pk and own.pk


def test_audit_completed_is_sent_once_after_commit(project, django_capture_on_commit_callbacks):
    webhook_create(
        name="Done", url="http://127.0.0.1:9/a", events=[event_types.AUDIT_COMPLETED], project=project
    )
    audit = Audit.objects.create(project=project, title="Spring audit")
    with django_capture_on_commit_callbacks() as callbacks:
        audit.status = Audit.Status.COMPLETED
        audit.save()
    assert not WebhookDelivery.objects.exists()  # nothing before the commit
    for callback in callbacks:
        if callback.__qualname__.endswith("on_audit_post_save.<locals>.send"):
            callback()
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "audit.completed"
    assert delivery.payload["data"]["audit"]["title"] == "Spring audit"

    audit.title = "Spring audit, typo fixed"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        audit.save()  # still completed: not completed again
    assert not [c for c in callbacks if c.__qualname__.endswith("on_audit_post_save.<locals>.send")]


def test_a_rolled_back_completion_sends_nothing(project):
    webhook_create(
        name="Done", url="http://127.0.0.1:9/a", events=[event_types.AUDIT_COMPLETED], project=project
    )
    audit = Audit.objects.create(project=project, title="Rolled back")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.status = Audit.Status.COMPLETED
        audit.save()
        raise RuntimeError
    assert not WebhookDelivery.objects.exists()


def test_the_payload_body_is_the_signed_json(project, eager, django_capture_on_commit_callbacks):
    with receiver() as server:
        webhook, secret = webhook_create(name="T", url=server.url, events=ALL_EVENTS, project=project)
        with django_capture_on_commit_callbacks(execute=True):
            send_test_event(webhook=webhook)
    body = json.loads(server.requests[0].body)
    assert body["type"] == "webhook.test" and body["data"]["project"] == project.slug
    assert verify(secret, server.requests[0]) == body


def test_a_connection_to_a_private_address_is_refused_even_after_the_url_check(settings):
    """DNS rebinding: the name may resolve to a public address for `check_url` and to a private
    one for the connection. The connection's own peer address is checked before anything is sent."""
    with receiver() as target:
        settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = []
        with (
            outbound.session() as checked,
            pytest.raises(requests.ConnectionError, match="refused: the host"),
        ):
            checked.post(target.url, data=b"{}", timeout=5)
        assert target.requests == []  # nothing reached the receiver

        settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
        with outbound.session() as checked:
            assert checked.post(target.url, data=b"{}", timeout=5).status_code == 200
        assert len(target.requests) == 1
