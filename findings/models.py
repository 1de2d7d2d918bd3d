"""Findings tracked over time, the imports that produced them, and per-project API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class Severity(models.IntegerChoices):
    """Stored as integers so "worst first" is a plain ORDER BY and comparisons are cheap."""

    INFO = 0, "Info"
    LOW = 1, "Low"
    MEDIUM = 2, "Medium"
    HIGH = 3, "High"
    CRITICAL = 4, "Critical"


class Finding(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        FIXED = "fixed", "Fixed"
        ACCEPTED_RISK = "accepted_risk", "Accepted risk"
        FALSE_POSITIVE = "false_positive", "False positive"

    # Statuses that still count against a project (scores, gate, "open findings" everywhere).
    ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    # No single-column index: the composite indexes below all start with project.
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="findings", db_index=False
    )
    # The nullable foreign keys (both audits, assignee, resolved_by_import) are indexed on their
    # non-empty values only (Meta.indexes).
    first_seen_audit = models.ForeignKey(
        "projects.Audit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    last_seen_audit = models.ForeignKey(
        "projects.Audit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    title = models.CharField(max_length=500)
    description = models.TextField(blank=True)
    severity = models.PositiveSmallIntegerField(choices=Severity.choices, default=Severity.MEDIUM)
    confidence = models.CharField(max_length=20, blank=True)
    domain = models.ForeignKey(
        "projects.MaturityDomain",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="findings",
        db_index=False,  # finding_domain_status_idx starts with domain
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    tool = models.CharField(max_length=100, blank=True)
    rule_id = models.CharField(max_length=200, blank=True)
    cwe = models.CharField("CWE", max_length=20, blank=True)
    file_path = models.CharField(max_length=1000, blank=True)
    line = models.PositiveIntegerField(null=True, blank=True)
    recommendation = models.TextField(blank=True)
    effort = models.CharField(max_length=50, blank=True, help_text='Effort estimate, e.g. "2h", "1-2 days".')
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_findings",
        db_index=False,
    )
    fingerprint = models.CharField(max_length=64, help_text="Stable identity for de-duplication.")
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    fixed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    resolved_by_import = models.ForeignKey(
        "findings.ImportRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_findings",
        db_index=False,
    )
    # SLA clock (findings/sla.py): due at first sighting + the days of its severity + the time it
    # spent fixed (paused); never reset by a re-import or a reopening. Empty: no SLA (info findings).
    sla_due_at = models.DateTimeField("SLA due", null=True, blank=True)
    sla_paused = models.DurationField(
        "SLA paused",
        default=dt.timedelta(0),
        db_default=dt.timedelta(0),  # rows written by COPY name no value for it
        help_text="Time spent fixed before a reopening: the SLA clock does not run while fixed.",
    )
    fixed_within_sla = models.BooleanField(null=True, blank=True, help_text="Recorded when fixed.")
    # People who follow the finding (added by an @mention in a comment): its comments and SLA
    # breach go into their daily digest.
    watchers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="watched_findings")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-severity", "-id"]
        constraints = [
            # De-duplication key: one finding per fingerprint per project (also its index).
            models.UniqueConstraint(
                fields=["project", "fingerprint"], name="finding_unique_fingerprint_per_project"
            ),
        ]
        indexes = [
            # Portfolio / project page: "open findings of a project by severity".
            models.Index(fields=["project", "status", "severity"], name="finding_project_status_idx"),
            # Re-import: "findings of one tool in a project" (resolving what disappeared).
            models.Index(fields=["project", "tool", "status"], name="finding_project_tool_idx"),
            # Findings admin changelist default ordering (worst first, newest first).
            models.Index(fields=["-severity", "-id"], name="finding_severity_id_idx"),
            # Scoring: "open findings of a domain in a project".
            models.Index(fields=["domain", "status"], name="finding_domain_status_idx"),
            # SLA: "open findings past or near their due date" (digest, counts, admin filter).
            models.Index(fields=["status", "sla_due_at"], name="finding_status_sla_idx"),
            # Findings admin filtered by status (and severity), in its ordering: the page reads
            # 50 entries, and the capped count (10,001 at most) is an index-only scan.
            models.Index(fields=["status", "-severity", "-id"], name="finding_status_severity_idx"),
            # API: "open critical findings by SLA due date" (?status=&severity=&ordering=sla_due_at).
            models.Index(fields=["status", "severity", "sla_due_at"], name="finding_status_sev_sla_idx"),
            # Portfolio: "open findings past their due date, per project" on a page of up to 1,000
            # projects, counted from the index alone (sla.breached_by_project).
            models.Index(fields=["project", "status", "sla_due_at"], name="finding_project_sla_idx"),
            # The findings admin's tool filter: the tools in use, read by skipping through it.
            models.Index(fields=["tool"], name="finding_tool_idx"),
            # The nullable foreign keys, for "findings of this user / audit / import" and the
            # SET NULL when one is deleted: both filter on a value, which implies the condition.
            # A finding unassigned, imported without an audit or not fixed by an import adds no
            # entry to the index of that key.
            *(
                models.Index(fields=[field], name=name, condition=models.Q(**{f"{field}__isnull": False}))
                for field, name in (
                    ("assignee", "finding_assignee_idx"),
                    ("first_seen_audit", "finding_first_audit_idx"),
                    ("last_seen_audit", "finding_last_audit_idx"),
                    ("resolved_by_import", "finding_resolved_by_idx"),
                )
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        # sla.record_status_change moves the SLA clock together with the fixing time (a reopened
        # finding resumes it): a save naming the one saves the other too.
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "fixed_at" in update_fields:
            kwargs["update_fields"] = {*update_fields, "sla_due_at", "sla_paused"}
        super().save(*args, **kwargs)


class ImportRun(models.Model):
    """One import of a scanner report into a project: what it changed and how it went."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        DRY_RUN = "dry_run", "Dry run"

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="import_runs")
    audit = models.ForeignKey(
        "projects.Audit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_runs",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token = models.ForeignKey(
        "findings.ApiToken",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_runs",
    )
    format = models.CharField(max_length=20)
    tool = models.CharField(max_length=100, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    created_count = models.PositiveIntegerField("created", default=0)
    still_open_count = models.PositiveIntegerField("still open", default=0)
    reopened_count = models.PositiveIntegerField("reopened", default=0)
    resolved_count = models.PositiveIntegerField("resolved", default=0)
    unchanged_closed_count = models.PositiveIntegerField("unchanged closed", default=0)
    error_count = models.PositiveIntegerField("errors", default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    error_message = models.TextField(blank=True)
    # Progress of an import run by a worker (large reports): results in the report, results written.
    total = models.PositiveIntegerField("results", null=True, blank=True)
    processed = models.PositiveIntegerField("results processed", default=0)
    # Metrics the report carried (coverage, test counts, LOC...), also copied onto the audit.
    metrics = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Project and audit pages: "imports of a project, newest first".
            models.Index(fields=["project", "-created_at"], name="importrun_project_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.format} import into {self.project_id} ({self.status})"


class ApiToken(models.Model):
    """A CI upload token scoped to one project. Only a hash of the secret is stored."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise a token.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "name"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class FindingComment(models.Model):
    """A note in a finding's thread. No author: written by auditor itself (an exception that
    closed or reopened the finding says so here). Internal notes stay out of exports."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    internal = models.BooleanField(default=False, help_text="Kept out of exports and reports.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["finding", "created_at"], name="findingcomment_finding_idx")]

    def __str__(self) -> str:
        return f"{self.author or 'auditor'} on finding {self.finding_id}"
