"""projectsummary moved here from the projects app: same table, same rows, same permissions."""

from decimal import Decimal

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Keep the content type (and so the permissions granted on it) of the moved model."""
    content_type = apps.get_model("contenttypes", "ContentType")
    if not content_type.objects.filter(app_label="scoring", model="projectsummary").exists():
        content_type.objects.filter(app_label="projects", model="projectsummary").update(app_label="scoring")


def reverse_content_type(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="scoring", model="projectsummary").update(app_label="projects")


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
                    name="ProjectSummary",
                    fields=[
                        (
                            "project",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="summary",
                                serialize=False,
                                to="projects.project",
                            ),
                        ),
                        ("latest_audit_date", models.DateField(blank=True, null=True)),
                        ("valid_until", models.DateField(blank=True, null=True)),
                        (
                            "global_score",
                            models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True),
                        ),
                        (
                            "previous_global_score",
                            models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True),
                        ),
                        (
                            "score_change",
                            models.DecimalField(blank=True, decimal_places=1, max_digits=3, null=True),
                        ),
                        (
                            "computed_verdict",
                            models.CharField(
                                choices=[
                                    ("production_ready", "Production ready"),
                                    ("with_reservations", "Ready with reservations"),
                                    ("not_ready", "Not production ready"),
                                    ("unknown", "Unknown"),
                                ],
                                default="unknown",
                                max_length=20,
                            ),
                        ),
                        ("history", models.JSONField(blank=True, default=list)),
                        ("domain_scores", models.JSONField(blank=True, default=dict)),
                        ("open_critical", models.PositiveIntegerField(default=0)),
                        ("open_high", models.PositiveIntegerField(default=0)),
                        ("open_medium", models.PositiveIntegerField(default=0)),
                        ("open_low", models.PositiveIntegerField(default=0)),
                        ("open_info", models.PositiveIntegerField(default=0)),
                        ("checklist_done", models.PositiveIntegerField(default=0)),
                        ("checklist_applicable", models.PositiveIntegerField(default=0)),
                        ("checklist_percent", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("refreshed_at", models.DateTimeField(default=django.utils.timezone.now)),
                        (
                            "latest_audit",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="projects.audit",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name_plural": "project summaries",
                        "db_table": "projects_projectsummary",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("global_score__isnull", True),
                                    models.Q(
                                        ("global_score__gte", Decimal("0.0")),
                                        ("global_score__lte", Decimal("10.0")),
                                    ),
                                    _connector="OR",
                                ),
                                name="projectsummary_global_score_range",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("checklist_done__lte", models.F("checklist_applicable"))),
                                name="projectsummary_done_within_applicable",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("checklist_percent__isnull", True),
                                    ("checklist_percent__lte", 100),
                                    _connector="OR",
                                ),
                                name="projectsummary_percent_range",
                            ),
                        ],
                    },
                ),
            ]
        ),
        migrations.RunPython(move_content_type, reverse_content_type),
    ]
