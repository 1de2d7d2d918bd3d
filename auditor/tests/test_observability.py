import json
import logging

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import path

from auditor.observability import JsonFormatter, RequestIdFilter


@login_not_required
def broken_database_view(request):
    raise OperationalError("connection refused")


@login_not_required
def broken_code_view(request):
    raise ValueError("a bug")


urlpatterns = [path("db", broken_database_view), path("bug", broken_code_view)]
handler500 = "auditor.errors.server_error"


@pytest.mark.django_db
def test_every_response_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]

    assert len(first) == 32 and first != second


@pytest.mark.django_db
def test_a_sane_incoming_request_id_is_kept_and_a_hostile_one_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"})["X-Request-ID"] == "lb-1234abcd"
    hostile = client.get("/healthz", headers={"X-Request-ID": "x\ninjected: yes"})["X-Request-ID"]
    assert "\n" not in hostile and hostile != "x\ninjected: yes"


@pytest.mark.django_db
def test_log_lines_written_during_a_request_carry_its_id(client, admin, caplog):
    client.force_login(admin)
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.get("/admin/does-not-exist/", headers={"X-Request-ID": "req-0000feed"})

    assert response["X-Request-ID"] == "req-0000feed"
    assert any(getattr(r, "request_id", None) == "req-0000feed" for r in caplog.records)


def test_the_json_formatter_writes_one_parseable_object_per_record():
    record = logging.LogRecord("auditor.test", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    record.request_id = "abc"
    record.project_id = 7

    line = JsonFormatter().format(record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert entry["level"] == "WARNING"
    assert entry["request_id"] == "abc"
    assert entry["project_id"] == 7


def test_json_logging_is_chosen_by_an_environment_variable():
    import os
    import subprocess
    import sys

    env = {**os.environ, "LOG_FORMAT": "json", "DEBUG": "true"}
    code = "import logging; logging.getLogger('auditor.x').warning('json please')"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(e["message"] == "json please" and e["request_id"] == "-" for e in lines), result.stderr


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_database_outage_answers_503_with_retry_after_not_a_500():
    client = Client(raise_request_exception=False)

    response = client.get("/db")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "database is not answering" in response.content.decode()
    assert "connection refused" not in response.content.decode()  # no internals


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_other_errors_stay_a_plain_500():
    client = Client(raise_request_exception=False)

    response = client.get("/bug")

    assert response.status_code == 500
    assert "a bug" not in response.content.decode()


@pytest.mark.django_db
def test_metrics_are_off_by_default(client, admin):
    client.force_login(admin)
    assert client.get("/metrics").status_code == 404


@pytest.mark.django_db
@override_settings(PROMETHEUS_METRICS=True, METRICS_TOKEN="s3cret-token")
def test_metrics_need_the_bearer_token_even_for_a_logged_in_user(client, admin):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    client.force_login(admin)
    assert client.get("/metrics").status_code == 401

    response = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})

    assert response.status_code == 200
    assert b"python_info" in response.content or b"process_" in response.content
