"""Throttling per personal token: over the rate, 429 with Retry-After."""

from __future__ import annotations

from api.services import token_create


def test_a_token_over_its_rate_gets_429_with_retry_after_and_another_token_does_not(
    tech_lead, call, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "3/minute", "api_session": "3/minute"},
    }
    first = token_create(user=tech_lead, name="busy")[1]
    second = token_create(user=tech_lead, name="quiet")[1]

    answers = [call(first, "GET", "/api/v1/projects/").status_code for _ in range(4)]
    refused = call(first, "GET", "/api/v1/projects/")

    assert answers == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 60
    assert "throttled" in refused.json()["error"].lower()
    assert call(second, "GET", "/api/v1/projects/").status_code == 200


def test_the_rate_comes_from_the_settings(tech_lead, call, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "1/hour", "api_session": "1/hour"},
    }
    raw = token_create(user=tech_lead, name="hourly")[1]

    assert call(raw, "GET", "/api/v1/projects/").status_code == 200
    refused = call(raw, "GET", "/api/v1/projects/")

    assert refused.status_code == 429
    assert 3000 < int(refused["Retry-After"]) <= 3600
