# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""Cursor pagination: stable pages however rows are added, and no COUNT over big tables."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class Cursor(CursorPagination):
    page_size_query_param = "page_size"
    page_size_query_description = "Rows per page (default API_PAGE_SIZE, at most API_MAX_PAGE_SIZE)."
    ordering = "-id"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        limit = int(settings.API_MAX_PAGE_SIZE)
        if raw is None:
            return int(settings.API_PAGE_SIZE)
        if not raw.isdigit() or not 1 <= int(raw) <= limit:
            raise ValidationError({"page_size": [f"A whole number from 1 to {limit}, not {raw[:20]!r}."]})
        return int(raw)

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        try:
            page: list[Any] | None = super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise ValidationError(
                {"cursor": ["Invalid cursor: use the next or previous link of a page as given."]}
            ) from None
        return page
