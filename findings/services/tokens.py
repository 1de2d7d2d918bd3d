"""Per-project API tokens for CI uploads: the secret is shown once and only its hash is kept."""

from __future__ import annotations

import hashlib
import secrets

from django.utils import timezone

from findings.models import ApiToken
from projects.models import Project

TOKEN_PREFIX = "aud_"  # noqa: S105 (a public marker, not a secret)


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def api_token_create(*, project: Project, name: str, created_by=None) -> tuple[ApiToken, str]:
    """Create a token; returns it with the secret, which is shown once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        project=project,
        name=name,
        prefix=raw[:12],
        token_hash=_hash_token(raw),
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    return token, raw


def api_token_fill_secret(*, token: ApiToken) -> str:
    """Give an unsaved token (admin add form) a fresh secret; returns the secret."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token.prefix = raw[:12]
    token.token_hash = _hash_token(raw)
    return raw


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The active token with this secret, or None."""
    if not raw or len(raw) > 200:
        return None
    return (
        ApiToken.objects.select_related("project")
        .filter(token_hash=_hash_token(raw), revoked_at__isnull=True)
        .first()
    )


def api_token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
