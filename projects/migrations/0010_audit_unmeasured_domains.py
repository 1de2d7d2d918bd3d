"""Audit.unmeasured_domains: the domains an audit's evidence cannot measure, read by scoring.

Filled from scan_details by rescans 0002 before 0011 drops scan_details.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0009_move_summary_and_heartbeat"),
    ]

    operations = [
        migrations.AddField(
            model_name="audit",
            name="unmeasured_domains",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
