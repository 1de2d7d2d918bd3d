"""The admin of webhooks: the secret shown once, the test action, the delivery log's queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import Webhook, WebhookAttempt, WebhookDelivery
from integrations.services import send_test_event, webhook_create

pytestmark = pytest.mark.django_db


def test_the_signing_secret_is_shown_once_at_creation(client, admin, project):
    client.force_login(admin)
    response = client.post(
        "/admin/integrations/webhook/add/",
        {
            "name": "CI",
            "project": project.pk,
            "url": "http://127.0.0.1:9/hook",
            "events": ["gate.changed"],
            "active": "on",
        },
    )
    assert response.status_code == 200, response.content[:2000]
    page = response.content.decode()
    webhook = Webhook.objects.get()
    secret = page.split('id="webhook-secret">', 1)[1].split("<", 1)[0]
    assert secret.startswith("whsec_") and len(secret) > 40
    assert webhook.events == ["gate.changed"] and webhook.project == project and webhook.created_by == admin
    change = client.get(f"/admin/integrations/webhook/{webhook.pk}/change/").content.decode()
    assert secret not in change and secret.removeprefix("whsec_") not in change


def test_a_private_url_is_refused_by_the_form_with_the_reason(client, admin, project, settings):
    settings.WEBHOOK_ALLOWED_PRIVATE_HOSTS = []
    client.force_login(admin)
    response = client.post(
        "/admin/integrations/webhook/add/",
        {"name": "Meta", "url": "https://169.254.169.254/x", "events": ["gate.changed"]},
    )
    assert response.status_code == 200
    assert "link-local" in response.content.decode()
    assert not Webhook.objects.exists()


def test_send_test_event_queues_a_test_delivery(client, admin, project):
    webhook, _secret = webhook_create(
        name="T", url="http://127.0.0.1:9/x", events=["gate.changed"], project=project
    )
    client.force_login(admin)
    response = client.post(
        "/admin/integrations/webhook/", {"action": "send_test", "_selected_action": [webhook.pk]}, follow=True
    )
    assert "Queued a test event to 1 webhook" in response.content.decode()
    assert WebhookDelivery.objects.get().event == "webhook.test"


def test_the_delivery_log_queries_do_not_grow_with_rows(client, admin, project):
    webhook, _secret = webhook_create(
        name="T", url="http://127.0.0.1:9/x", events=["gate.changed"], project=project
    )
    client.force_login(admin)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/integrations/webhookdelivery/").status_code == 200
        return len(queries)

    delivery = send_test_event(webhook=webhook)
    WebhookAttempt.objects.create(
        delivery=delivery, number=1, started_at=delivery.created_at, response_code=500
    )
    few = count_queries()
    for _ in range(20):
        send_test_event(webhook=webhook)
    assert count_queries() == few
    page = client.get(f"/admin/integrations/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "500" in page  # the attempt's response code, in the log


def test_a_chat_channel_url_is_stored_encrypted_and_never_shown(client, admin, project):
    from integrations.crypto import decrypt
    from integrations.models import ChatChannel

    url = "http://127.0.0.1:9/services/T000/B000/very-secret-part"
    client.force_login(admin)
    response = client.post(
        "/admin/integrations/chatchannel/add/",
        {
            "name": "Team",
            "kind": "slack",
            "project": project.pk,
            "url": url,
            "events": ["gate.changed"],
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content[:3000]
    channel = ChatChannel.objects.get()
    assert decrypt(channel.url_encrypted) == url and "very-secret-part" not in channel.url_encrypted
    for page in ("/admin/integrations/chatchannel/", f"/admin/integrations/chatchannel/{channel.pk}/change/"):
        assert "very-secret-part" not in client.get(page).content.decode()
    # Saving without a URL keeps the stored one.
    response = client.post(
        f"/admin/integrations/chatchannel/{channel.pk}/change/",
        {"name": "Team 2", "kind": "slack", "project": project.pk, "url": "", "events": ["gate.changed"]},
    )
    assert response.status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Team 2" and decrypt(channel.url_encrypted) == url and channel.active is False
