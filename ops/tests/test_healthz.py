import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_it_answers_200_without_login_when_database_and_broker_answer(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "ok",
        "beat": "waiting",
        "beat_age_seconds": None,
    }


@pytest.mark.django_db
def test_it_answers_503_when_the_broker_points_at_nothing(client):
    # Port 9 (discard) on loopback: nothing listens there.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:9/0"):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["broker"] == "unavailable"
    assert body["database"] == "ok"
    assert "redis" not in response.content.decode().lower()  # no internals leaked


@pytest.mark.django_db
def test_it_refuses_other_methods(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_every_other_page_requires_login(client):
    response = client.get("/admin/projects/project/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
