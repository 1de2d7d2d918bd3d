from django.db import migrations


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="sweep-abandoned-scan-imports",
        defaults={
            "task": "findings.sweep_abandoned_imports",
            "interval": every_5_minutes,
            "description": "Marks failed the scan imports whose process died mid-import.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name="sweep-abandoned-scan-imports"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0004_drop_redundant_fk_indexes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
