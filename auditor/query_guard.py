"""Refuse query strings no page can answer, before a view turns them into a database query.

PostgreSQL text cannot hold NUL ("A string literal cannot contain NUL"), so a NUL in a search
box or a filter value was a 500 on every page that filters by it; nothing stored contains one,
so such a query can match nothing anyway. A run of more than 18 ASCII digits is no id or count
of this application (ids are 64-bit) and overflowed integer lookups. The admin's date
drill-down (`<field>__year=9999`) computes the next year's first day, past the last date Python
knows. Each answers 400 with the parameter named, whatever the page: in the REST API's error
shape (JSON, `{"error": "<the sentence>"}`) under `/api/`, in plain text elsewhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

_HUGE_NUMBER_RE = re.compile(r"[+-]?[0-9]{19,}")
# Free-text searches may hold long digit runs (a commit hash, a fingerprint): only NUL is refused.
FREE_TEXT_PARAMETERS = frozenset({"q", "term"})
# Paths answered in the REST API's error shape (JSON), as its own errors are.
JSON_PATH_PREFIX = "/api/"


def problem(request: HttpRequest) -> str:
    """What is wrong with the request's path or query string, or "" when nothing is."""
    if "\x00" in request.path:
        return "The address contains a NUL character."
    for name, values in request.GET.lists():
        shown = name.replace("\x00", "\\0")[:40]
        if "\x00" in name:
            return f"The query parameter {shown!r} contains a NUL character in its name."
        for value in values:
            if "\x00" in value:
                return f"The query parameter {shown!r} contains a NUL character."
            if name not in FREE_TEXT_PARAMETERS and _HUGE_NUMBER_RE.fullmatch(value.strip()):
                return f"The query parameter {shown!r} is a number out of range ({len(value):,} digits)."
            if name.endswith("__year") and value.isascii() and value.isdigit() and int(value) >= dt.MAXYEAR:
                return f"The query parameter {shown!r} is a year out of range (at most {dt.MAXYEAR - 1})."
    return ""


class QueryGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        message = problem(request)
        if message and request.path.startswith(JSON_PATH_PREFIX):
            return JsonResponse({"error": f"Bad request: {message}"}, status=400)
        if message:
            return HttpResponseBadRequest(
                f"Bad request: {message}\n", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)
