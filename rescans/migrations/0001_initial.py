"""RescanRun: what Audit.scan_details held for automated audits, as columns."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("projects", "0010_audit_unmeasured_domains"),
    ]

    operations = [
        migrations.CreateModel(
            name="RescanRun",
            fields=[
                (
                    "audit",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="rescan_run",
                        serialize=False,
                        to="projects.audit",
                    ),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("completed", "Completed"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=10,
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("manual", "Manual"),
                            ("page", "Project page"),
                            ("admin", "Admin action"),
                            ("command", "Management command"),
                            ("schedule", "Schedule"),
                            ("retry", "Retry of an abandoned run"),
                        ],
                        default="manual",
                        max_length=10,
                    ),
                ),
                (
                    "force",
                    models.BooleanField(
                        default=False, help_text="Scan even if the commit and configuration did not change."
                    ),
                ),
                ("requested_at", models.DateTimeField(blank=True, null=True)),
                ("requested_by", models.CharField(blank=True, max_length=150)),
                ("config_hash", models.CharField(blank=True, max_length=64)),
                (
                    "outcome",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("", "Not finished"),
                            ("scanned", "Scanned"),
                            ("no_change", "No change since the previous run"),
                            ("failed", "Failed"),
                            ("abandoned", "Abandoned (worker lost)"),
                        ],
                        default="",
                        max_length=10,
                    ),
                ),
                ("error", models.TextField(blank=True)),
                ("parts", models.JSONField(blank=True, default=dict)),
                (
                    "missing",
                    models.JSONField(blank=True, default=list, help_text="Scanners that could not run."),
                ),
                ("duration_s", models.FloatField(blank=True, null=True)),
                ("change", models.JSONField(blank=True, default=dict)),
                ("regression_notified_at", models.DateTimeField(blank=True, null=True)),
                (
                    "same_as",
                    models.ForeignKey(
                        blank=True,
                        help_text="A no-change run: the earlier automated audit it repeats.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="projects.audit",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("state__in", ["queued", "running", "completed", "failed"])),
                        name="rescanrun_state_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("outcome__in", ["", "scanned", "no_change", "failed", "abandoned"])
                        ),
                        name="rescanrun_outcome_valid",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("state__in", ["queued", "running"]), ("outcome", "")),
                            models.Q(("state", "completed"), ("outcome__in", ["scanned", "no_change"])),
                            models.Q(("state", "failed"), ("outcome__in", ["failed", "abandoned"])),
                            _connector="OR",
                        ),
                        name="rescanrun_outcome_matches_state",
                    ),
                ],
            },
        ),
    ]
