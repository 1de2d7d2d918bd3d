"""heartbeat moved here from the projects app: same table, same rows, same permissions."""

from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keep the content type (and so the permissions granted on it) of the moved model."""
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="ops", model="heartbeat").exists():
        content_type.objects.filter(app_label="projects", model="heartbeat").update(app_label="ops")


def reverse_content_type(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="ops", model="heartbeat").update(app_label="projects")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("projects", "0009_move_summary_and_heartbeat"),
    ]

    operations = [
        # The table keeps its name and rows: only Django's state moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Heartbeat",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("name", models.CharField(max_length=50, unique=True)),
                        ("beat_at", models.DateTimeField()),
                    ],
                    options={
                        "db_table": "projects_heartbeat",
                    },
                ),
            ]
        ),
        migrations.RunPython(move_content_type, reverse_content_type),
    ]
