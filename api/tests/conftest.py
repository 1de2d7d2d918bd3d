"""API test helpers: a personal token per role, and JSON calls made with it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.services import token_create
from tests.conftest import collected_static  # noqa: F401  (static files collected once, for live servers)


@pytest.fixture
def token_of():
    """token_of(user) -> the secret of a fresh personal token of that user."""

    def make(user: Any, name: str = "test") -> str:
        return token_create(user=user, name=name)[1]

    return make


@pytest.fixture
def call():
    """call(raw_token_or_None, method, url, body=None) -> response (JSON in and out)."""

    def send(raw: str | None, method: str, url: str, body: Any = None, **extra: Any):
        headers = {"Authorization": f"Bearer {raw}"} if raw else {}
        data = json.dumps(body) if body is not None else None
        return Client().generic(
            method, url, data=data or "", content_type="application/json", headers=headers, **extra
        )

    return send
