# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""What every API view shares: JSON errors instead of login redirects, project scoping (another
project's objects answer 404 to a tech lead), and the permission checks of writes."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

from auditlog.context import set_actor
from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request

from projects import access


class ScopedViewSet(viewsets.GenericViewSet):
    """A viewset over rows of projects: `scope_prefix` is the path from the row to its project
    ("" for projects themselves). Rows of projects the user may not see do not exist for them."""

    scope_prefix = "project"
    lookup_value_converter = "int"  # a path with another id shape is no endpoint (JSON 404)
    base_queryset: QuerySet[Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        # The audit trail's middleware ran before DRF read the token, so it knows no user: name
        # the caller as the actor of whatever this request writes.
        self._trail = ExitStack()
        if request.user.is_authenticated and request.method not in ("GET", "HEAD", "OPTIONS"):
            self._trail.enter_context(set_actor(request.user, remote_addr=request.META.get("REMOTE_ADDR")))

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        trail = getattr(self, "_trail", None)
        if trail is not None:
            trail.close()
        return super().finalize_response(request, response, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return self.base_queryset.filter(access.project_scope_q(self.request.user, self.scope_prefix))


def require_perm(user: Any, perm: str, what: str) -> None:
    """403 with a sentence when the user's role lacks `perm` (the object is visible, so the
    answer is not a 404)."""
    if not user.has_perm(perm):
        raise PermissionDenied(f"Your role may not {what}.")
