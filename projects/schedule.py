"""Re-scan schedules: a 5-field cron expression ("0 2 * * *"), or an interval ("@every 6h").

Shortcuts: @hourly, @daily, @weekly, @monthly. Times are in the TIME_ZONE setting. Empty = off.
"""

from __future__ import annotations

import datetime as dt
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
