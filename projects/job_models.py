"""UploadJob: a large upload's preview and import, run by a worker (see projects/upload_jobs.py).

Declared here and imported by projects/models.py, so the ground floor holds it and every upload
app above (findings, reports) can record its jobs in it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import F, Q


class UploadJob(models.Model):
    """One uploaded file previewed (dry run) and then, once its uploader confirms, imported by a
    worker. The same row goes through both steps: its state, progress, result and error are
    those of its current step."""

    class Kind(models.TextChoices):
        SCAN_PREVIEW = "scan_preview", "Scan report preview"
        FINDINGS_TRIAGE = "findings_triage", "Findings triage sheet"
        REPORT = "report", "Markdown audit report"

    class Step(models.TextChoices):
        PREVIEW = "preview", "Preview"
        IMPORT = "import", "Import"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    step = models.CharField(max_length=10, choices=Step.choices, default=Step.PREVIEW)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The project the upload goes to, when known before it is read (scan uploads).
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="upload_jobs"
    )
    file_name = models.CharField(max_length=255, blank=True)
    # What the worker needs besides the file (format, audit, target project...).
    options = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The file in the shared staging (projects.staging), emptied once it is no longer needed.
    staged_key = models.CharField(max_length=32, blank=True)
    total = models.PositiveIntegerField(null=True, blank=True)
    processed = models.PositiveIntegerField(default=0)
    # The preview (what would change, the row errors) or the import's outcome.
    result = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # "My uploads, newest first".
            models.Index(fields=["user", "-created_at"], name="uploadjob_user_idx"),
            # The sweep of abandoned jobs (projects.upload_jobs.sweep_abandoned_jobs): unfinished
            # jobs by state and last change; finished ones, nearly all rows, stay out of it.
            models.Index(
                fields=["state", "updated_at"],
                name="uploadjob_unfinished_idx",
                condition=Q(state__in=["queued", "running"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__isnull=True) | Q(processed__lte=F("total")),
                name="uploadjob_processed_within_total",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["queued", "running", "done", "failed"]),
                name="uploadjob_state_valid",
            ),
            models.CheckConstraint(condition=Q(step__in=["preview", "import"]), name="uploadjob_step_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.step}, {self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)
