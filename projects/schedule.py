"""Re-scan schedules: a 5-field cron expression ("0 2 * * *"), or an interval ("@every 6h").

Shortcuts: @hourly, @daily, @weekly, @monthly. Times are in the TIME_ZONE setting. Empty = off.

Pure: plain strings and datetimes in, datetimes out. It lives with the Project model so that
the model derives its next due time itself (any path that sets a schedule is honoured); the
dispatcher above (`rescans.dispatcher`) re-arms projects with the same `next_due`.

Jitter: ten thousand projects on "0 2 * * *" must not all clone at 02:00. Each project's cron
occurrences are shifted by an offset of its own, fixed by its id: Knuth's multiplicative hash
(id x 2654435761 mod 2^32, read as a fraction of 2^32) times the window, the smaller of
SCAN_JITTER_SECONDS and half the gap between two occurrences of its schedule (so a frequent
schedule keeps its rhythm). Consecutive ids land far apart, so projects created together are
spread evenly over the window. Intervals ("@every 6h") run from each dispatch and need none.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zoneinfo

from celery.schedules import crontab
from django.conf import settings

SHORTCUTS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
}
EVERY_RE = re.compile(r"^@every\s+(\d+)\s*([mhd])$")
UNIT = {"m": "minutes", "h": "hours", "d": "days"}
MIN_INTERVAL = dt.timedelta(minutes=5)


class ScheduleError(ValueError):
    pass


@functools.lru_cache(maxsize=256)  # a few distinct schedules, thousands of projects
def _parse(expression: str) -> dt.timedelta | tuple[crontab, list[str]] | None:
    text = " ".join((expression or "").split())
    if not text:
        return None
    text = SHORTCUTS.get(text, text)
    if match := EVERY_RE.match(text):
        delta = dt.timedelta(**{UNIT[match[2]]: int(match[1])})
        if delta < MIN_INTERVAL:
            raise ScheduleError(f"Interval {text!r} is too short: the minimum is 5 minutes.")
        return delta
    fields = text.split(" ")
    if len(fields) != 5:
        raise ScheduleError(
            f"Schedule {text!r} is neither a 5-field cron expression (minute hour day month weekday) "
            "nor an interval like '@every 6h'."
        )
    try:
        cron = crontab(
            minute=fields[0],
            hour=fields[1],
            day_of_month=fields[2],
            month_of_year=fields[3],
            day_of_week=fields[4],
        )
    except (ValueError, TypeError) as exc:
        raise ScheduleError(f"Schedule {text!r} is not a valid cron expression: {exc}") from None
    return cron, fields


def validate(expression: str) -> None:
    _parse(expression)


def next_run(expression: str, after: dt.datetime) -> dt.datetime | None:
    """The first time strictly after `after` the schedule fires; None when the schedule is off."""
    parsed = _parse(expression)
    if parsed is None:
        return None
    if isinstance(parsed, dt.timedelta):
        return after + parsed
    cron, fields = parsed
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = after.astimezone(tz).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    # Standard cron: when both day of month and day of week are restricted, either may match.
    dom_restricted, dow_restricted = fields[2] != "*", fields[4] != "*"
    hours, minutes = sorted(cron.hour), sorted(cron.minute)
    day = local.date()
    for _ in range(366 * 5):
        cron_dow = (day.weekday() + 1) % 7
        dom_ok, dow_ok = day.day in cron.day_of_month, cron_dow in cron.day_of_week
        day_ok = (dom_ok or dow_ok) if (dom_restricted and dow_restricted) else (dom_ok and dow_ok)
        if day.month in cron.month_of_year and day_ok:
            for hour in hours:
                for minute in minutes:
                    candidate = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
                    if candidate >= local:
                        # Normalise through UTC so DST gaps resolve to a real instant.
                        return candidate.astimezone(dt.UTC)
        day += dt.timedelta(days=1)
    raise ScheduleError(f"Schedule {expression!r} never fires.")


HASH_MULTIPLIER = 2654435761  # Knuth: close to 2^32 / golden ratio, so ids spread evenly


def jitter_fraction(key: int) -> float:
    """A fixed number in [0, 1) for a project id, far from its neighbours' numbers."""
    return (key * HASH_MULTIPLIER) % 2**32 / 2**32


def jitter(expression: str, key: int, after: dt.datetime) -> dt.timedelta:
    """The project's offset from its schedule's occurrences (zero for intervals and when off)."""
    window = float(getattr(settings, "SCAN_JITTER_SECONDS", 0))
    parsed = _parse(expression)
    if window <= 0 or parsed is None or isinstance(parsed, dt.timedelta):
        return dt.timedelta(0)
    first = next_run(expression, after)
    assert first is not None
    second = next_run(expression, first)
    assert second is not None
    window = min(window, (second - first).total_seconds() / 2)
    return dt.timedelta(seconds=int(jitter_fraction(key) * window))


def next_due(
    expression: str, after: dt.datetime, *, key: int, dispatched: bool = False
) -> dt.datetime | None:
    """When the project `key` is next due, strictly after `after`; None when its schedule is off.

    Arming a new or changed schedule: the first occurrence whose shifted time (occurrence +
    jitter) is still ahead, so a project saved at 02:10 with an offset of 16 minutes still runs
    at 02:16 tonight. Re-arming after a dispatch (`dispatched`): the first occurrence strictly
    after `after`, shifted; the jitter is at most half the gap between occurrences, so no
    occurrence is skipped, and a due time armed without jitter (by an older release, or by
    hand) never runs twice in one night."""
    parsed = _parse(expression)
    if parsed is None:
        return None
    if isinstance(parsed, dt.timedelta):
        return after + parsed
    offset = jitter(expression, key, after)
    occurrence = next_run(expression, after if dispatched else after - offset)
    assert occurrence is not None
    return occurrence + offset
