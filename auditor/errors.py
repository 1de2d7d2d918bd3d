"""Error pages that never need the database.

When PostgreSQL is down (restarting, failing over), every request that reaches it raises
OperationalError; instead of a generic 500 the client gets a fast 503 with Retry-After, and
the next request after the database is back succeeds (Django reconnects on its own:
CONN_HEALTH_CHECKS is on), without restarting gunicorn.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError

DATABASE_RETRY_AFTER_SECONDS = 5

_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>auditor is briefly unavailable</title></head>
<body><h1>auditor is briefly unavailable</h1>
<p>The database is not answering. Please retry in a few seconds.</p></body></html>
"""

_ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Server error</title></head>
<body><h1>Server error</h1>
<p>Something went wrong on our side; it has been logged. Please retry later.</p></body></html>
"""


def database_is_down(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


def server_error(request, *args, **kwargs):
    """handler500: 503 + Retry-After when the cause is the database being unreachable."""
    exc = sys.exc_info()[1]
    if database_is_down(exc):
        response = HttpResponse(_UNAVAILABLE_PAGE, status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(_ERROR_PAGE)
