"""Users logged in by the provider: found or created, their roles and memberships synced.

Roles come from one claim (OIDC_ROLE_CLAIM) through OIDC_ROLE_MAP; they are re-synced at each
login, so a role the provider no longer gives is taken away. "Admin" means superuser. A user
with any role is staff (every role works in the admin). Claim values the map does not name, and
project slugs that do not exist, are ignored with a log line.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from projects.access import ROLES
from projects.models import Project
from sso.models import OidcIdentity

logger = logging.getLogger(__name__)
ADMIN = "Admin"


class ClaimsError(Exception):
    """The provider's claims cannot log anyone in (no subject, say); the message says why."""


@dataclass(frozen=True)
class Outcome:
    user: AbstractUser
    created: bool
    roles: frozenset[str]
    ignored: tuple[str, ...]


def parse_role_map(text: str) -> dict[str, str]:
    """ "value=Role,value=Role" -> {value: role}; a role must be one of projects/roles.py or Admin."""
    mapping: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        value, sep, role = part.partition("=")
        value, role = value.strip(), role.strip()
        if not sep or not value or role not in (*ROLES, ADMIN):
            raise ImproperlyConfigured(
                f"OIDC_ROLE_MAP: {part.strip()!r} is not value=Role with a role among "
                f"{', '.join((*ROLES, ADMIN))}."
            )
        mapping[value] = role
    return mapping


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, dict):
        return [str(item) for item in value]
    return [str(value)]


def roles_from_claims(claims: dict[str, Any]) -> tuple[set[str], list[str]]:
    """The roles the claims give, and the claim values that map to none."""
    mapping = parse_role_map(settings.OIDC_ROLE_MAP)
    roles, ignored = set(), []
    for value in _as_list(claims.get(settings.OIDC_ROLE_CLAIM)):
        if value in mapping:
            roles.add(mapping[value])
        else:
            ignored.append(value)
    return roles, ignored


def _username(claims: dict[str, Any], issuer: str) -> str:
    User = get_user_model()
    wanted = str(claims.get(settings.OIDC_USERNAME_CLAIM) or claims.get("email") or "").strip()[:120]
    if wanted and not User.objects.filter(username__iexact=wanted).exists():
        return wanted
    # Taken by another account (a local one, or another provider's): never merged silently.
    digest = hashlib.sha256(f"{issuer} {claims['sub']}".encode()).hexdigest()[:8]
    return f"{wanted or 'sso'}-{digest}"


def _identity(claims: dict[str, Any], issuer: str) -> OidcIdentity | None:
    return (
        OidcIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=str(claims["sub"]))
        .first()
    )


def _find_or_create_user(claims: dict[str, Any], issuer: str) -> tuple[OidcIdentity, bool]:
    identity = _identity(claims, issuer)
    if identity is not None:
        return identity, False
    try:
        with transaction.atomic():
            return _create_identity(claims, issuer)
    except IntegrityError:
        # The same first login in two tabs at once: the other one created it (or took the name).
        identity = _identity(claims, issuer)
        if identity is None:
            raise ClaimsError("the account could not be created; sign in again") from None
        return identity, False


def _create_identity(claims: dict[str, Any], issuer: str) -> tuple[OidcIdentity, bool]:
    User = get_user_model()
    email = str(claims.get("email") or "")
    user = None
    if email and claims.get("email_verified") is True:
        # An account created before SSO with the address the provider vouches for is linked.
        matches = list(User.objects.filter(email__iexact=email, oidc_identities__isnull=True)[:2])
        user = matches[0] if len(matches) == 1 else None
    created = user is None
    if user is None:
        user = User.objects.create_user(_username(claims, issuer), email=email)  # no usable password
    identity = OidcIdentity.objects.create(user=user, issuer=issuer, subject=str(claims["sub"]))
    return identity, created


def _sync_roles(user: AbstractUser, roles: set[str]) -> None:
    wanted = set(Group.objects.filter(name__in=roles & set(ROLES)))
    current = set(user.groups.filter(name__in=ROLES))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
    user.is_superuser = ADMIN in roles
    user.is_staff = bool(roles)


def _sync_projects(identity: OidcIdentity, slugs: list[str]) -> list[str]:
    user = identity.user
    found = dict(Project.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    unknown = [slug for slug in slugs if slug not in found]
    wanted = set(found.values())
    before = set(identity.claimed_project_ids)
    dropped = before - wanted
    if dropped:
        user.member_projects.remove(*dropped)
    if wanted:
        user.member_projects.add(*wanted)
    identity.claimed_project_ids = sorted(wanted)
    return unknown


@transaction.atomic
def oidc_user_sync(*, claims: dict[str, Any], issuer: str) -> Outcome:
    """The user the provider's claims log in as, created or updated, roles and projects synced."""
    if not str(claims.get("sub") or "").strip():
        raise ClaimsError("the provider sent no subject (sub) for this account")
    identity, created = _find_or_create_user(claims, issuer)
    user = identity.user
    if not user.is_active:
        raise ClaimsError(f"the account {user.get_username()} is deactivated in auditor")
    for field, claim in (("email", "email"), ("first_name", "given_name"), ("last_name", "family_name")):
        if claims.get(claim):
            setattr(user, field, str(claims[claim])[: 150 if field != "email" else 254])
    roles: set[str] = set()
    ignored: list[str] = []
    if settings.OIDC_ROLE_CLAIM:
        roles, ignored = roles_from_claims(claims)
        _sync_roles(user, roles)
        if ignored:
            logger.info(
                "OIDC login of %s: claim %s values %s map to no role, ignored",
                user.get_username(),
                settings.OIDC_ROLE_CLAIM,
                ignored,
            )
    user.save()
    if settings.OIDC_PROJECTS_CLAIM:
        unknown = _sync_projects(identity, _as_list(claims.get(settings.OIDC_PROJECTS_CLAIM)))
        if unknown:
            logger.info(
                "OIDC login of %s: claim %s names no project %s, ignored",
                user.get_username(),
                settings.OIDC_PROJECTS_CLAIM,
                unknown,
            )
            ignored += unknown
    identity.last_login_at = timezone.now()
    identity.save()
    return Outcome(user=user, created=created, roles=frozenset(roles), ignored=tuple(ignored))
