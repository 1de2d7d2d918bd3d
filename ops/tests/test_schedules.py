"""The declared periodic tasks and roles exist after `migrate`, and admin edits survive it."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from auditor.celery import app as celery_app
from ops.schedules import PERIODIC_TASKS, sync_periodic_tasks
from projects.roles import ROLE_PERMISSIONS, sync_roles

pytestmark = pytest.mark.django_db


def test_every_declared_task_exists_after_migrate_with_its_schedule():
    for spec in PERIODIC_TASKS:
        task = PeriodicTask.objects.get(name=spec.name)
        assert task.task == spec.task
        assert json.loads(task.kwargs) == spec.kwargs
        assert task.enabled
        if spec.every_minutes is not None:
            assert (task.interval.every, task.interval.period) == (spec.every_minutes, "minutes")
            assert task.crontab is None
        else:
            assert (task.crontab.minute, task.crontab.hour) == (spec.crontab.minute, spec.crontab.hour)
            assert str(task.crontab.timezone) == settings.TIME_ZONE


def test_every_declared_task_names_a_registered_celery_task():
    celery_app.loader.import_default_modules()
    assert {spec.task for spec in PERIODIC_TASKS} <= set(celery_app.tasks)


def test_a_missing_task_is_created_again_and_existing_ones_are_left_alone():
    PeriodicTask.objects.filter(name="sweep-abandoned-scan-imports").delete()
    assert sync_periodic_tasks() == ["sweep-abandoned-scan-imports"]
    assert sync_periodic_tasks() == []


def test_admin_edits_of_a_declared_task_survive_migrate():
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=60, period="minutes")
    PeriodicTask.objects.filter(name="heartbeat-every-minute").update(
        interval=every_hour, enabled=False, kwargs='{"name": "edited"}'
    )
    PeriodicTask.objects.filter(name="checklist-reminders-daily").delete()

    call_command("migrate", verbosity=0)

    edited = PeriodicTask.objects.get(name="heartbeat-every-minute")
    assert (edited.interval_id, edited.enabled, edited.kwargs) == (every_hour.pk, False, '{"name": "edited"}')
    assert PeriodicTask.objects.filter(name="checklist-reminders-daily").exists()


def _codenames(role: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_every_role_holds_its_declared_permissions_after_migrate():
    for role, perms in ROLE_PERMISSIONS.items():
        assert {f"{app}.{action}_{model}" for action, app, model in perms} <= _codenames(role), role


def test_role_sync_restores_declared_permissions_and_keeps_those_an_admin_added():
    manager = Group.objects.get(name="Manager")
    manager.permissions.remove(
        Permission.objects.get(content_type__app_label="findings", codename="view_finding")
    )
    extra = Permission.objects.get(content_type__app_label="findings", codename="delete_finding")
    manager.permissions.add(extra)
    Group.objects.filter(name="Tech lead").delete()

    added = sync_roles()

    assert "Manager: findings.view_finding" in added
    assert "findings.view_finding" in _codenames("Manager")
    assert "findings.delete_finding" in _codenames("Manager")
    assert "checklists.change_checklistitem" in _codenames("Tech lead")
    assert sync_roles() == []
