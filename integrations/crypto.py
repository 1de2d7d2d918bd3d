"""Secrets at rest: webhook signing secrets and chat URLs, encrypted with Fernet (AES-128-CBC and
HMAC-SHA256) under a key derived from WEBHOOK_SECRET_KEY, else SECRET_KEY."""

from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105  # the Standard Webhooks prefix, not a secret


class SecretUnreadable(Exception):
    """The stored secret was encrypted under another key (the key was rotated)."""


def _fernet() -> Fernet:
    material = (settings.WEBHOOK_SECRET_KEY or settings.SECRET_KEY).encode()
    key = hashlib.sha256(b"auditor.integrations.secrets\0" + material).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("the stored secret cannot be decrypted: was the key rotated?") from exc


def new_signing_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()
