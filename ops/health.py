"""`GET /healthz`: is the database answering, is the broker answering, is beat alive.

No login, no internals. Beat sends `projects.heartbeat` every minute and a worker records it
(projects.Heartbeat "beat"), so a fresh heartbeat proves beat, broker and a worker all work.
`beat` is "late" (and the answer 503) when the last heartbeat is older than
BEAT_MAX_SILENCE_SECONDS. On a fresh install no heartbeat exists yet: `beat` says "waiting"
and does not fail the check, since "beat has not started yet" and "beat is not deployed" look
the same until the first heartbeat; from the first heartbeat on, silence fails it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ops.models import Heartbeat

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means "not answering"; the detail goes to the log only
        logger.exception("health check: database is not answering")
        return False


def check_broker() -> bool:
    from auditor.celery import app

    try:
        # The URL is read from settings on every call, so the check follows the configuration.
        with app.connection_for_write(url=settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
            _ = conn.default_channel  # opening a channel proves the broker really answers
        return True
    except Exception:
        logger.warning("health check: broker is not answering", exc_info=True)
        return False


def beat_age_seconds() -> int | None:
    """Seconds since beat's last heartbeat; None when there has been none yet."""
    from django.utils import timezone

    beat_at = Heartbeat.objects.filter(name="beat").values_list("beat_at", flat=True).first()
    if beat_at is None:
        return None
    return max(0, int((timezone.now() - beat_at).total_seconds()))


@login_not_required
@never_cache
@require_GET
def healthz(request):
    checks = {"database": check_database(), "broker": check_broker()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "unavailable"}
    body.update({name: "ok" if ok else "unavailable" for name, ok in checks.items()})
    age = None
    if checks["database"]:
        age = beat_age_seconds()
        if age is None:
            body["beat"] = "waiting"
        elif age > settings.BEAT_MAX_SILENCE_SECONDS:
            body["beat"] = "late"
            healthy = False
            body["status"] = "unavailable"
        else:
            body["beat"] = "ok"
    else:
        body["beat"] = "unknown"
    body["beat_age_seconds"] = age
    return JsonResponse(body, status=200 if healthy else 503)
