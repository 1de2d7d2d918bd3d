"""Writes of the API app: personal tokens, and looking up the assignee a triage names (the
triage itself is `findings.services.triage.change_finding`, the admin's path too)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api.models import PersonalToken

TOKEN_PREFIX = "audp_"  # noqa: S105 (a public marker telling personal tokens from CI ones)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def token_new_secret() -> tuple[str, str, str]:
    """A fresh secret: (secret, prefix shown, hash stored)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return raw, raw[:12], _hash(raw)


def token_expiry(days: int | None = None, now: dt.datetime | None = None) -> dt.datetime:
    """The expiry of a token created now for `days` (default API_TOKEN_DEFAULT_DAYS); refuses
    a duration outside 1..API_TOKEN_MAX_DAYS."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": f"A token lasts from 1 to {settings.API_TOKEN_MAX_DAYS} days (API_TOKEN_MAX_DAYS)."}
        )
    return (now or timezone.now()) + dt.timedelta(days=days)


def token_create(*, user: Any, name: str, days: int | None = None) -> tuple[PersonalToken, str]:
    """Create a personal token for `user`; returns it with its secret, shown once, never stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name saying what it is for."})
    if not getattr(user, "is_active", False):
        raise ValidationError({"user": "An inactive user cannot hold an API token."})
    raw, prefix, digest = token_new_secret()
    token = PersonalToken(
        user=user, name=name[:100], prefix=prefix, token_hash=digest, expires_at=token_expiry(days)
    )
    token.save()
    return token, raw


def token_authenticate(*, raw: str, now: dt.datetime | None = None) -> PersonalToken | None:
    """The token with this secret if it is neither revoked nor expired and its user is active;
    stamps its last use (at most once a minute, one conditional UPDATE)."""
    if not raw or len(raw) > 200 or not raw.startswith(TOKEN_PREFIX):
        return None
    now = now or timezone.now()
    token = (
        PersonalToken.objects.select_related("user")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=now, user__is_active=True)
        .first()
    )
    if token is not None and (
        token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1)
    ):
        PersonalToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_revoke(*, token: PersonalToken) -> bool:
    """Revoke a token; False when it already was. Saved through the model (under a row lock, so
    two revocations at once revoke it once) for the audit trail to record it."""
    with transaction.atomic():
        locked = PersonalToken.objects.select_for_update().get(pk=token.pk)
        done = locked.revoked_at is None
        if done:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
    token.revoked_at = locked.revoked_at
    return done


# --- finding triage: the assignee a request names ----------------------------------------


def assignable_user(username: str) -> Any:
    """The active user named `username`, or a ValidationError naming the field."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"assignee": f"No active user named {username!r}."})
    return user
