"""One beat entry for all re-scans: every minute, claim due projects and sweep abandoned runs.

No per-project PeriodicTask rows: one dispatcher scales to any number of projects and leaves no
orphan when a project is deleted.
"""

from django.db import migrations

NAME = "rescan-dispatch-every-minute"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "projects.rescan_dispatch",
            "interval": every_minute,
            "kwargs": "{}",
            "description": "Queues due re-scans (conditional UPDATE claim) and sweeps abandoned runs.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0006_project_summary"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
