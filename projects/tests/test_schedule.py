"""Re-scan schedules: cron expressions and intervals, and the next due time."""

from __future__ import annotations

import datetime as dt

import pytest

from projects.schedule import ScheduleError, next_run, validate

AFTER = dt.datetime(2026, 11, 22, 10, 0, 30, tzinfo=dt.UTC)  # a Sunday


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("0 2 * * *", dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)),
        ("*/15 * * * *", dt.datetime(2026, 11, 22, 10, 15, tzinfo=dt.UTC)),
        ("30 9 * * 1-5", dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.UTC)),
        ("0 0 29 2 *", dt.datetime(2028, 2, 29, 0, 0, tzinfo=dt.UTC)),
        # Day of month and day of week both given: either matches (standard cron).
        ("0 0 13 * 5", dt.datetime(2026, 11, 27, 0, 0, tzinfo=dt.UTC)),
        ("@daily", dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.UTC)),
        ("@every 6h", AFTER + dt.timedelta(hours=6)),
        ("@every 30m", AFTER + dt.timedelta(minutes=30)),
        ("", None),
    ],
)
def test_the_next_run_is_the_first_matching_time_strictly_after_now(expression, expected):
    assert next_run(expression, AFTER) == expected


def test_an_exact_match_is_not_due_again_the_same_minute():
    at_two = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC)
    assert next_run("0 2 * * *", at_two) == dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def test_the_schedule_is_read_in_the_configured_time_zone(settings):
    settings.TIME_ZONE = "Europe/Paris"
    # 02:00 in Paris (winter, UTC+1) is 01:00 UTC.
    assert next_run("0 2 * * *", AFTER) == dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "expression, message",
    [
        ("0 2 * *", "neither a 5-field cron"),
        ("61 2 * * *", "not a valid cron"),
        ("every tuesday", "neither"),
        ("@every 1m", "too short"),
    ],
)
def test_invalid_schedules_are_refused_with_a_message_naming_the_problem(expression, message):
    with pytest.raises(ScheduleError, match=message):
        validate(expression)
