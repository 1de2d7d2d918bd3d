"""ReportSource: the provenance of an imported report, formerly Audit.scan_details["report"]."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("projects", "0010_audit_unmeasured_domains"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportSource",
            fields=[
                (
                    "audit",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="report_source",
                        serialize=False,
                        to="projects.audit",
                    ),
                ),
                ("file_name", models.CharField(blank=True, max_length=255)),
                ("imported_by", models.CharField(blank=True, max_length=150)),
                ("verdict_as_written", models.CharField(blank=True, max_length=300)),
                ("repairs", models.JSONField(blank=True, default=list)),
                (
                    "weighted_mean_of_stated_scores",
                    models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True),
                ),
                ("inconsistency", models.JSONField(blank=True, default=dict)),
            ],
        ),
    ]
