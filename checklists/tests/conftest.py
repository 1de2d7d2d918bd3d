"""Checklist fixtures: a template, and a factory for checklists with items in given states."""

import datetime as dt

import pytest
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem, ChecklistTemplate, ItemState


@pytest.fixture
def deployment_template(db):
    # Loaded by the data migration from checklists/library.py.
    return ChecklistTemplate.objects.get(slug="deployment")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def make_checklist(db):
    def make(project, *, owner=None, due_in_days=3, title=None, items=(("todo", False),) * 2):
        due = None if due_in_days is None else timezone.localdate() + dt.timedelta(days=due_in_days)
        checklist = Checklist.objects.create(
            project=project,
            owner=owner,
            due_date=due,
            title=title or f"Checklist of {project.name}",
        )
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                checklist=checklist,
                order=i,
                section="Main",
                text=f"Item {i}",
                state=state,
                is_critical=critical,
                note="Not relevant here" if state == ItemState.NOT_APPLICABLE else "",
            )
            for i, (state, critical) in enumerate(items, start=1)
        )
        return checklist

    return make


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded evidence files go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path
