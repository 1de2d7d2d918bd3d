"""Trail entries for rows written with `bulk_create`, which sends no signal, so django-auditlog
never sees them. One INSERT for all the rows, the same content as the entry auditlog writes when
a row is saved one by one ("created", with every tracked field's value)."""

from __future__ import annotations

from collections.abc import Sequence

from auditlog.cid import get_cid
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.utils.encoding import smart_str


def log_created(instances: Sequence[Model]) -> int:
    """Write a "created" entry for each saved instance of a tracked model; returns how many.
    Instances of untracked models are left out. `str()` of each instance is stored as auditlog
    does: load what it reads (a related object's name, say) beforehand to keep one query."""
    entries = []
    cid = get_cid()
    for instance in instances:
        model = type(instance)
        if instance.pk is None or not auditlog.contains(model):
            continue
        changes = model_instance_diff(None, instance)
        if not changes:
            continue
        entries.append(
            LogEntry(
                content_type=ContentType.objects.get_for_model(model),  # cached after the first
                object_pk=smart_str(instance.pk),
                object_id=instance.pk if isinstance(instance.pk, int) else None,
                object_repr=smart_str(instance),
                action=LogEntry.Action.CREATE,
                changes=changes,
                cid=cid,
            )
        )
    LogEntry.objects.bulk_create(entries)
    return len(entries)
