"""A schedule set by any path gets its due time from the model, spread by a per-project jitter."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from projects import schedule
from projects.models import Project

AFTER = dt.datetime(2026, 11, 22, 10, 0, 30, tzinfo=dt.UTC)


def tonight_at_two(now: dt.datetime) -> dt.datetime:
    return schedule.next_run("0 2 * * *", now)  # type: ignore[return-value]


@pytest.mark.django_db
def test_a_schedule_saved_through_the_orm_arms_the_next_due_time_with_the_project_jitter():
    before = timezone.now()
    project = Project.objects.create(name="Nightly", slug="nightly", scan_schedule="0 2 * * *")

    stored = Project.objects.get(pk=project.pk).next_scan_at
    offset = schedule.jitter("0 2 * * *", project.pk, before)
    assert stored == project.next_scan_at == tonight_at_two(before - offset) + offset
    assert dt.timedelta(0) <= offset < dt.timedelta(minutes=30)


@pytest.mark.django_db
def test_changing_clearing_or_choosing_the_due_time_by_hand(project):
    assert project.next_scan_at is None
    project.scan_schedule = "@every 6h"
    project.save()
    assert project.next_scan_at is not None
    assert abs(project.next_scan_at - (timezone.now() + dt.timedelta(hours=6))) < dt.timedelta(minutes=1)

    # Saving another field leaves the due time alone.
    armed = project.next_scan_at
    project.name = "Renamed"
    project.save()
    assert Project.objects.get(pk=project.pk).next_scan_at == armed

    # update_fields naming the schedule writes the due time too.
    project.scan_schedule = "0 2 * * *"
    project.save(update_fields=["scan_schedule"])
    assert Project.objects.get(pk=project.pk).next_scan_at.hour == 2

    # A due time chosen together with the schedule is kept.
    chosen = timezone.now() + dt.timedelta(days=3)
    project.scan_schedule, project.next_scan_at = "@weekly", chosen
    project.save()
    assert Project.objects.get(pk=project.pk).next_scan_at == chosen

    project.scan_schedule = ""
    project.save()
    assert Project.objects.get(pk=project.pk).next_scan_at is None


@pytest.mark.django_db
def test_a_schedule_that_does_not_parse_is_refused_and_nothing_is_saved(project):
    project.scan_schedule = "every tuesday"
    with pytest.raises(ValidationError) as error:
        project.save()
    assert "neither a 5-field cron" in error.value.message_dict["scan_schedule"][0]
    stored = Project.objects.get(pk=project.pk)
    assert (stored.scan_schedule, stored.next_scan_at) == ("", None)


@pytest.mark.django_db
def test_a_loaded_project_with_a_schedule_and_no_due_time_is_armed_on_its_next_save(project):
    Project.objects.filter(pk=project.pk).update(scan_schedule="0 2 * * *")  # skips save()
    loaded = Project.objects.get(pk=project.pk)
    loaded.description = "edited"
    loaded.save()
    assert Project.objects.get(pk=project.pk).next_scan_at is not None


def test_ten_thousand_projects_on_one_cron_line_are_spread_evenly_over_the_window(settings):
    settings.SCAN_JITTER_SECONDS = 1800
    due = [schedule.next_due("0 2 * * *", AFTER, key=pk) for pk in range(1, 10_001)]
    per_minute = Counter((at - tonight_at_two(AFTER)) // dt.timedelta(minutes=1) for at in due)
    assert sorted(per_minute) == list(range(30))  # 02:00 to 02:29, no minute left out
    # About 333 a minute; without jitter all 10,000 would be due at 02:00.
    assert max(per_minute.values()) <= 345 and min(per_minute.values()) >= 320


def test_a_frequent_schedule_keeps_its_rhythm_and_its_jitter_stays_under_half_the_gap(settings):
    settings.SCAN_JITTER_SECONDS = 1800
    for pk in range(1, 200):
        at = schedule.next_due("*/10 * * * *", AFTER, key=pk)
        assert at is not None
        offset = schedule.jitter("*/10 * * * *", pk, AFTER)
        assert offset < dt.timedelta(minutes=5)
        for _ in range(5):  # each dispatch (a few seconds late) re-arms ten minutes later
            late = at + dt.timedelta(seconds=20)
            following = schedule.next_due("*/10 * * * *", late, key=pk, dispatched=True)
            assert following is not None
            assert following - at == dt.timedelta(minutes=10)
            at = following


def test_a_due_time_armed_without_jitter_does_not_run_twice_the_same_night():
    legacy_due = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # an older release: exactly 02:00
    following = schedule.next_due("0 2 * * *", legacy_due + dt.timedelta(seconds=30), key=7, dispatched=True)
    assert following is not None and following.date() == dt.date(2026, 11, 24)


def test_no_jitter_when_turned_off_or_for_intervals(settings):
    settings.SCAN_JITTER_SECONDS = 0
    assert schedule.next_due("0 2 * * *", AFTER, key=5) == tonight_at_two(AFTER)
    settings.SCAN_JITTER_SECONDS = 1800
    assert schedule.next_due("@every 6h", AFTER, key=5) == AFTER + dt.timedelta(hours=6)
