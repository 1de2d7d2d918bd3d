"""Every error is JSON with a sentence; never a 500 or an HTML page."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/api/v1/no-such-thing/", 404),
        ("GET", "/api/v1/findings/abc/", 404),
        ("GET", "/api/v1/findings/99999999999999999999/", 404),
        ("GET", "/api/v1/audits/123456789/", 404),
        ("DELETE", "/api/v1/findings/1/", 405),
        ("PUT", "/api/v1/projects/x/", 405),
        ("POST", "/api/v1/findings/", 405),
    ],
)
def test_unknown_paths_and_methods_answer_json(admin, call, token_of, method, url, status):
    response = call(token_of(admin), method, url)

    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]


def test_anonymous_gets_401_with_a_reason_and_a_challenge(call):
    response = call(None, "GET", "/api/v1/findings/")

    assert response.status_code == 401
    assert response.json() == {"error": "Authentication credentials were not provided."}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_ci_token_is_told_what_it_opens(project, call):
    from findings.services.tokens import api_token_create

    raw = api_token_create(project=project, name="ci")[1]

    response = call(raw, "GET", "/api/v1/projects/")

    assert response.status_code == 401
    assert "scan upload" in response.json()["error"]


def test_malformed_json_answers_400(admin, project, call, token_of):
    from django.test import Client

    response = Client().generic(
        "POST",
        f"/api/v1/projects/{project.slug}/rescan/",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {token_of(admin)}"},
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["error"]


def test_a_wrong_content_type_answers_415(admin, project, call, token_of):
    from django.test import Client

    response = Client().post(
        f"/api/v1/projects/{project.slug}/rescan/",
        data="force=1",
        content_type="text/plain",
        headers={"Authorization": f"Bearer {token_of(admin)}"},
    )

    assert response.status_code == 415
    assert "text/plain" in response.json()["error"]


def test_a_database_rule_refusing_a_write_answers_409_not_500():
    from django.db import IntegrityError

    from api.errors import exception_handler

    response = exception_handler(IntegrityError("duplicate key value"), {"view": None, "request": None})

    assert response.status_code == 409
    assert "nothing was written" in response.data["error"]
