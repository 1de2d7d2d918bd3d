"""The query guard answers 400 naming the parameter: JSON in the API's error shape under /api/,
plain text on every other page, before any view or login redirect runs."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("url", "named"),
    [
        ("/api/v1/findings/?severity=a%00b", "'severity' contains a NUL character"),
        ("/api/v1/findings/?project=" + "9" * 30, "'project' is a number out of range (30 digits)"),
        ("/api/v1/findings/%00/", "The address contains a NUL character"),
        ("/api/v1/no-such-thing/?x%00=1", "contains a NUL character in its name"),
    ],
)
def test_api_paths_answer_json_in_the_api_error_shape(client, url, named):
    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"].startswith("Bad request: ")
    assert named in body["error"]


@pytest.mark.parametrize(
    "url",
    [
        "/maturity/?q=a%00b",
        "/admin/findings/finding/?id=" + "9" * 30,
        "/apiary/?x=%00",  # only the /api/ tree answers JSON, not a path that merely starts alike
    ],
)
def test_other_paths_answer_plain_text(client, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("Bad request: The ")


def test_a_clean_api_query_reaches_the_api(client):
    response = client.get("/api/v1/findings/?severity=high")

    assert response.status_code == 401  # the API's own answer: no token given
    assert response.json()["error"]
