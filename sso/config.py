"""The provider's settings: from auditor/settings.py, else from its discovery document.

An empty `OIDC_OP_*` endpoint setting is read from `OIDC_OP_DISCOVERY` (the issuer URL; its
`/.well-known/openid-configuration`), fetched once and kept for an hour per process.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from django.conf import settings
from mozilla_django_oidc.utils import import_from_settings

DISCOVERY_TTL_SECONDS = 3600
# our setting -> the discovery document's key
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_LOGOUT_ENDPOINT": "end_session_endpoint",
    "OIDC_OP_ISSUER": "issuer",
}

_cache: dict[str, tuple[float, dict[str, Any]]] = {}


class ProviderError(Exception):
    """The provider could not be reached or answered something unusable; the message says which."""


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def discovery_url() -> str:
    url = settings.OIDC_OP_DISCOVERY.rstrip("/")
    if url.endswith("/.well-known/openid-configuration"):
        return url
    return f"{url}/.well-known/openid-configuration"


def discovery() -> dict[str, Any]:
    """The provider's discovery document (empty when OIDC_OP_DISCOVERY is not set)."""
    if not settings.OIDC_OP_DISCOVERY:
        return {}
    url = discovery_url()
    cached = _cache.get(url)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderError(f"the provider's discovery document ({url}) could not be read: {exc}") from exc
    if not isinstance(document, dict) or not document.get("authorization_endpoint"):
        raise ProviderError(f"the provider's discovery document ({url}) names no authorization endpoint")
    _cache[url] = (time.monotonic(), document)
    return document


def forget_discovery() -> None:
    _cache.clear()


def oidc_setting(attr: str, *args: Any) -> Any:
    """`import_from_settings` of mozilla-django-oidc, falling back on discovery for endpoints."""
    if attr in DISCOVERED and not getattr(settings, attr, ""):
        value = discovery().get(DISCOVERED[attr])
        if value:
            return value
        if args:
            return args[0]
        raise ProviderError(f"the provider names no {DISCOVERED[attr]} and {attr} is not set")
    return import_from_settings(attr, *args)


def provider_name() -> str:
    return settings.OIDC_PROVIDER_NAME
