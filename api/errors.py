# mypy: disallow-subclassing-any=False
# (Django REST Framework ships no types: its classes are Any to mypy.)
"""Every API error is JSON: {"error": "<a sentence>", "fields": {name: [messages]}} (fields only
for validation errors), with the status 400, 401, 403, 404, 405, 409, 415 or 429."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            items = value if isinstance(value, list) else [value]
            out[str(key)] = [
                str(item) if not isinstance(item, dict) else str(_flatten(item)) for item in items
            ]
        return out
    items = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(item) for item in items]}


def _sentence(fields: dict[str, list[str]]) -> str:
    parts = []
    for name, messages in fields.items():
        text = " ".join(messages)
        parts.append(text if name in ("non_field_errors", "__all__") else f"{name}: {text}")
    return "Invalid input. " + " ".join(parts)


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This changed at the same moment elsewhere; nothing was written. Reload and retry."


def django_validation_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's ValidationError as DRF's, keeping the field names."""
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError({k: v for k, v in exc.message_dict.items()})
    return exceptions.ValidationError({"non_field_errors": exc.messages})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = django_validation_error(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found (or not in your projects).")
    elif isinstance(exc, IntegrityError):
        # A rule of the database refused the write: someone changed the same thing at the same
        # moment (two requests for one exception, say). Nothing was written.
        exc = Conflict()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        response.data = {"error": _sentence(fields), "fields": fields}
    else:
        detail = getattr(exc, "detail", "")
        response.data = {"error": str(detail) if detail else response.status_text}
    return response


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any other path under /api/v1/."""
    return JsonResponse(
        {"error": f"No API endpoint at {request.path}. See /api/v1/docs/ for the list."},
        status=status.HTTP_404_NOT_FOUND,
    )


not_found.login_required = False  # type: ignore[attr-defined]  # answers JSON, never redirects
