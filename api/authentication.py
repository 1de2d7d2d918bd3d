# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""Who is calling: a personal token (`Authorization: Bearer audp_…`) or a logged-in session
(browsable use, Swagger UI), whose unsafe requests need the CSRF token."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.request import Request

from api.models import PersonalToken
from api.services import TOKEN_PREFIX, token_authenticate

CI_TOKEN_PREFIX = "aud_"  # noqa: S105 (the per-project CI tokens' public marker)


class PersonalTokenAuthentication(BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, PersonalToken] | None:
        header = get_authorization_header(request).decode("latin-1")
        scheme, _, raw = header.partition(" ")
        if not header:
            return None
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw or " " in raw:
            raise exceptions.AuthenticationFailed('Send "Authorization: Bearer <personal token>".')
        if raw.startswith(CI_TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed(
                "This is a project's CI token: it only opens the scan upload "
                "(/api/projects/<slug>/scans/). Use a personal API token here."
            )
        if not raw.startswith(TOKEN_PREFIX):
            raise exceptions.AuthenticationFailed("Invalid token.")
        token = token_authenticate(raw=raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="auditor"'


class CsrfSessionAuthentication(SessionAuthentication):
    """DRF's session authentication (it enforces CSRF on unsafe methods), named here so the
    settings list what the API accepts in one place."""
