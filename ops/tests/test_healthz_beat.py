import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from ops.models import Heartbeat
from ops.tasks import heartbeat


@pytest.mark.django_db
def test_a_recent_heartbeat_is_reported_with_its_age(client):
    Heartbeat.objects.create(name="beat", beat_at=timezone.now() - dt.timedelta(seconds=42))

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["beat"] == "ok"
    assert 42 <= body["beat_age_seconds"] < 60


@pytest.mark.django_db
def test_beat_silent_longer_than_the_setting_answers_503(client):
    Heartbeat.objects.create(name="beat", beat_at=timezone.now() - dt.timedelta(seconds=301))

    with override_settings(BEAT_MAX_SILENCE_SECONDS=300):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["beat"] == "late"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_the_limit_is_a_setting(client):
    Heartbeat.objects.create(name="beat", beat_at=timezone.now() - dt.timedelta(seconds=301))

    with override_settings(BEAT_MAX_SILENCE_SECONDS=600):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["beat"] == "ok"


@pytest.mark.django_db
def test_a_fresh_install_without_any_heartbeat_is_waiting_not_failing(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["beat"] == "waiting"
    assert response.json()["beat_age_seconds"] is None


@pytest.mark.django_db
def test_the_heartbeat_task_makes_a_late_beat_healthy_again(client):
    Heartbeat.objects.create(name="beat", beat_at=timezone.now() - dt.timedelta(hours=1))
    assert client.get("/healthz").status_code == 503

    heartbeat()

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["beat"] == "ok"
