# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""Throttling per personal token (and per user for session calls): rates in settings
(REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], from API_THROTTLE_TOKEN / API_THROTTLE_SESSION)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.models import PersonalToken


class TokenRateThrottle(SimpleRateThrottle):
    """One bucket per token (two tokens of a user are throttled apart), one per session user."""

    scope = "api_token"

    def get_rate(self) -> str | None:
        # Read on each request (not frozen at import), so a changed setting applies at once.
        rate: str | None = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return rate

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = "api_token" if isinstance(request.auth, PersonalToken) else "api_session"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return bool(super().allow_request(request, view))

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if isinstance(request.auth, PersonalToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None  # anonymous calls are refused before any work
        return f"throttle_{self.scope}_{ident}"
