"""The dispatcher claims due projects in batches, in a constant number of queries, and arms the
schedules that reached the database without a due time."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Audit, Project
from rescans import dispatcher
from rescans.models import RescanRun

pytestmark = pytest.mark.django_db
NIGHT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
EVENING = NIGHT - dt.timedelta(hours=4)


def bulk_projects(n: int, *, start: int = 0, **fields) -> list[Project]:
    """Projects written as an import or a script writes them: no save(), so no due time derived."""
    return Project.objects.bulk_create(
        Project(name=f"S{i}", slug=f"s-{i}", repository_url=f"https://git.example.com/s{i}.git", **fields)
        for i in range(start, start + n)
    )


def test_a_schedule_saved_through_the_orm_runs(django_capture_on_commit_callbacks):
    project = Project.objects.create(
        name="ORM", slug="orm", repository_url="https://git.example.com/orm.git", scan_schedule="0 2 * * *"
    )
    assert project.next_scan_at is not None

    with django_capture_on_commit_callbacks() as sent:
        assert dispatcher.dispatch_due(now=project.next_scan_at - dt.timedelta(seconds=1)) == []
        assert dispatcher.dispatch_due(now=project.next_scan_at + dt.timedelta(seconds=30)) == [project.pk]

    audit = Audit.objects.get(project=project, kind=Audit.Kind.AUTOMATED)
    assert audit.status == Audit.Status.IN_PROGRESS and audit.started_at is None
    assert audit.rescan_run.state == RescanRun.State.QUEUED
    assert audit.rescan_run.reason == RescanRun.Reason.SCHEDULE
    assert len(sent) == 1  # the tasks leave after commit, in one callback
    project.refresh_from_db()
    assert project.next_scan_at - audit.rescan_run.requested_at > dt.timedelta(hours=23)
    # Created in bulk, the audit still has its "created" trail entry, as a manual one does.
    [entry] = LogEntry.objects.get_for_object(audit)
    assert entry.action == LogEntry.Action.CREATE and entry.actor is None
    assert entry.object_repr == str(audit) and entry.object_repr.startswith("ORM — ")
    assert entry.changes["kind"] == ["None", Audit.Kind.AUTOMATED]  # auditlog's own format


def test_schedules_written_in_bulk_are_armed_by_the_next_pass_then_run(django_capture_on_commit_callbacks):
    scheduled = bulk_projects(3, scan_schedule="0 2 * * *")
    [inactive] = bulk_projects(1, start=3, scan_schedule="0 2 * * *", is_active=False)
    [broken] = bulk_projects(1, start=4, scan_schedule="every tuesday")
    bulk_projects(2, start=5)  # no schedule

    assert dispatcher.dispatch_due(now=EVENING) == []

    armed = dict(Project.objects.filter(next_scan_at__isnull=False).values_list("pk", "next_scan_at"))
    assert sorted(armed) == sorted(p.pk for p in scheduled)
    assert all(NIGHT <= at < NIGHT + dt.timedelta(minutes=30) for at in armed.values())
    with django_capture_on_commit_callbacks():
        claimed = dispatcher.dispatch_due(now=NIGHT + dt.timedelta(minutes=31))
    assert sorted(claimed) == sorted(armed)
    assert Audit.objects.filter(kind=Audit.Kind.AUTOMATED).count() == 3
    assert not Audit.objects.filter(project__in=[inactive, broken]).exists()


def one_pass(n_due: int, *, n_later: int = 0, limit: int) -> tuple[int, int]:
    """Queries of one pass with n_due projects due (and n_later scheduled later); claimed count."""
    Project.objects.all().delete()
    bulk_projects(n_due, scan_schedule="0 2 * * *", next_scan_at=NIGHT - dt.timedelta(minutes=1))
    bulk_projects(n_later, start=n_due, scan_schedule="0 2 * * *", next_scan_at=NIGHT + dt.timedelta(hours=1))
    with CaptureQueriesContext(connection) as queries:
        claimed = dispatcher.dispatch_due(now=NIGHT, limit=limit)
    return len(queries), len(claimed)


def test_a_pass_costs_the_same_queries_for_3_or_20_due_projects_and_at_300_scheduled(
    django_capture_on_commit_callbacks,
):
    ContentType.objects.get_for_model(Audit)  # the trail's lookup, cached once per process
    with django_capture_on_commit_callbacks():
        few = one_pass(3, limit=20)
        batch = one_pass(20, limit=20)
        many = one_pass(120, n_later=180, limit=20)
    assert (few[1], batch[1], many[1]) == (3, 20, 20)  # a batch at most per pass; the rest next
    # arm (select), claim (select for update), re-arm (update), running scans (select), audits
    # and runs (two inserts), the projects' names and the trail's "created" entries (one
    # select, one insert), savepoint and release.
    assert few[0] == batch[0] == many[0] <= 10, (few, batch, many)
