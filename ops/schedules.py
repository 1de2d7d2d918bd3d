"""Every periodic task beat runs, declared once, and synced into django-celery-beat after
`migrate`.

Sync rule: a declared task missing from the database (by name) is created with its schedule;
an existing one is never changed, so what an admin edits in "Periodic tasks" (schedule, enabled,
arguments) survives upgrades. To stop a task, disable it: a deleted one is created again at the
next `migrate`. A changed declaration therefore reaches existing databases only through a data
migration written for that change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS


@dataclass(frozen=True)
class Crontab:
    minute: str = "*"
    hour: str = "*"
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"


@dataclass(frozen=True)
class PeriodicTaskSpec:
    name: str  # the PeriodicTask's unique name, how the sync recognises it
    task: str  # the Celery task name
    description: str
    every_minutes: int | None = None
    crontab: Crontab | None = None  # in TIME_ZONE
    kwargs: dict[str, Any] = field(default_factory=dict)


PERIODIC_TASKS: tuple[PeriodicTaskSpec, ...] = (
    PeriodicTaskSpec(
        name="heartbeat-every-minute",
        task="projects.heartbeat",
        every_minutes=1,
        kwargs={"name": "beat"},
        description="Proves beat and a worker are alive (shown by /healthz).",
    ),
    PeriodicTaskSpec(
        name="rescan-dispatch-every-minute",
        task="projects.rescan_dispatch",
        every_minutes=1,
        description="Queues due re-scans (conditional UPDATE claim) and sweeps abandoned runs.",
    ),
    PeriodicTaskSpec(
        name="sweep-abandoned-scan-imports",
        task="findings.sweep_abandoned_imports",
        every_minutes=5,
        description="Marks failed the scan imports whose process died mid-import.",
    ),
    PeriodicTaskSpec(
        name="sweep-abandoned-upload-jobs",
        task="projects.sweep_abandoned_upload_jobs",
        every_minutes=5,
        description="Marks failed the upload jobs (large previews and imports) whose worker died "
        "or that no worker took, so they do not stay running or queued.",
    ),
    PeriodicTaskSpec(
        name="sweep-lost-webhook-and-chat-work",
        task="integrations.sweep_lost_work",
        every_minutes=1,
        description="Queues again the webhook attempts and chat digests whose task was lost "
        "(broker restart, killed worker); each is claimed in the database, so nothing is sent twice.",
    ),
    PeriodicTaskSpec(
        name="checklist-reminders-daily",
        task="checklists.send_reminders",
        crontab=Crontab(minute="0", hour="8"),
        description="One e-mail per owner listing checklists overdue or due within "
        "7 days (sent at most once per owner and day).",
    ),
    PeriodicTaskSpec(
        name="exceptions-expire-daily",
        task="governance.expire_exceptions",
        crontab=Crontab(minute="30", hour="7"),
        description="Ends the exceptions whose expiry date has come and reopens the findings "
        "and checklist items they closed, saying why (before the 08:00 digest).",
    ),
)


def sync_periodic_tasks(*, using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps) -> list[str]:
    """Create the declared tasks that do not exist yet; returns the names created."""
    try:
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    except LookupError:  # django_celery_beat migrated to zero
        return []
    existing = set(PeriodicTask.objects.using(using).values_list("name", flat=True))
    created = []
    for spec in PERIODIC_TASKS:
        if spec.name in existing:
            continue
        schedule: dict[str, Any] = {}
        if spec.every_minutes is not None:
            schedule["interval"], _ = IntervalSchedule.objects.using(using).get_or_create(
                every=spec.every_minutes, period="minutes"
            )
        if spec.crontab is not None:
            schedule["crontab"], _ = CrontabSchedule.objects.using(using).get_or_create(
                timezone=settings.TIME_ZONE, **vars(spec.crontab)
            )
        PeriodicTask.objects.using(using).create(
            name=spec.name,
            task=spec.task,
            kwargs=json.dumps(spec.kwargs),
            description=spec.description,
            **schedule,
        )
        created.append(spec.name)
    return created


def sync_after_migrate(
    sender: AppConfig, using: str = DEFAULT_DB_ALIAS, apps: Any = global_apps, **kwargs: Any
) -> None:
    sync_periodic_tasks(using=using, apps=apps)
