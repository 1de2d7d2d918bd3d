"""ProjectSummary moved to the scoring app and Heartbeat to the ops app (same tables)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_report_domain_aliases"),
    ]

    operations = [
        # The table keeps its name and rows: only Django's state moves.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name="Heartbeat",
                ),
                migrations.DeleteModel(
                    name="ProjectSummary",
                ),
            ]
        ),
    ]
