from django.db import migrations


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="heartbeat-every-minute",
        defaults={
            "task": "projects.heartbeat",
            "interval": every_minute,
            "kwargs": '{"name": "beat"}',
            "description": "Proves beat and a worker are alive (shown by /healthz).",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name="heartbeat-every-minute"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0004_heartbeat"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
