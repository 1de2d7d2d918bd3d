"""Authentication backends: the provider's login, and local passwords for break-glass accounts."""

from __future__ import annotations

import logging
from typing import Any

import jwt
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from sso import config
from sso.services import oidc_user_sync

logger = logging.getLogger(__name__)


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with endpoints from discovery, the ID token's issuer and
    audience checked, and users matched by (issuer, subject) rather than by e-mail address."""

    get_settings = staticmethod(config.oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds a backend for every permission check: nothing is read from the provider
        # (discovery) until a login needs it, in `authenticate`.
        ModelBackend.__init__(self, *args, **kwargs)

    def authenticate(self, request, **kwargs):
        if request is None or "code_verifier" not in kwargs and "nonce" not in kwargs:
            return None  # a password login: not ours
        super().__init__()  # reads the endpoints (discovery) now
        self.OIDC_OP_ISSUER = self.get_settings("OIDC_OP_ISSUER", "")
        return super().authenticate(request, **kwargs)

    def get_payload_data(self, token, key):
        header = jwt.get_unverified_header(token)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation(
                f"the provider signed the token with {header.get('alg')!r}, not {self.OIDC_RP_SIGN_ALGO}"
            )
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.OIDC_OP_ISSUER or None,
                options={"require": ["exp", "iat", "sub"]},
                leeway=60,
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"the provider's ID token is not valid: {exc}") from exc

    def get_or_create_user(self, access_token, id_token, payload):
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if str(userinfo.get("sub")) != str(payload.get("sub")):
            raise SuspiciousOperation("the user info is about another subject than the ID token")
        claims = {**payload, **userinfo}
        outcome = oidc_user_sync(claims=claims, issuer=str(payload.get("iss") or self.OIDC_OP_ISSUER))
        logger.info(
            "OIDC login of %s (%s), roles %s",
            outcome.user.get_username(),
            "created" if outcome.created else "updated",
            sorted(outcome.roles),
        )
        return outcome.user

    def get_user(self, user_id):
        return ModelBackend.get_user(self, user_id)


def may_log_in_locally(user: AbstractBaseUser | None) -> bool:
    if not getattr(settings, "OIDC_ONLY", False):
        return True
    return user is not None and user.get_username() in settings.OIDC_BREAK_GLASS_USERS


class BreakGlassBackend(ModelBackend):
    """Passwords, with OIDC_ONLY on: only the accounts OIDC_BREAK_GLASS_USERS names log in locally;
    everyone else signs in with the provider. Permissions are ModelBackend's, for every user."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and not may_log_in_locally(user):
            logger.warning("local login of %s refused: OIDC_ONLY is on", user.get_username())
            return None
        return user
