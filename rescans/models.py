"""One re-scan run: how it was asked for, how it went, and the change it found.

Each automated audit has one `RescanRun` (`audit.rescan_run`). The audit keeps what every audit
has (status, commit, timings, metrics, scores); the run keeps what only a re-scan has. The domains
a run could not measure live on the audit (`Audit.unmeasured_domains`) because scoring, a lower
floor, reads them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from projects.models import Audit

# Longest error or scanner stderr text a run stores (rescans.sanitize.clean_text cuts it).
ERROR_MAX_CHARS = 2000


STATES = ["queued", "running", "completed", "failed"]
OUTCOMES = ["", "scanned", "no_change", "failed", "abandoned"]


class RescanRun(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    class Outcome(models.TextChoices):
        PENDING = "", "Not finished"
        SCANNED = "scanned", "Scanned"
        NO_CHANGE = "no_change", "No change since the previous run"
        FAILED = "failed", "Failed"
        ABANDONED = "abandoned", "Abandoned (worker lost)"

    class Reason(models.TextChoices):
        MANUAL = "manual", "Manual"
        PAGE = "page", "Project page"
        ADMIN = "admin", "Admin action"
        COMMAND = "command", "Management command"
        SCHEDULE = "schedule", "Schedule"
        RETRY = "retry", "Retry of an abandoned run"

    audit = models.OneToOneField(Audit, on_delete=models.CASCADE, primary_key=True, related_name="rescan_run")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    reason = models.CharField(max_length=10, choices=Reason.choices, default=Reason.MANUAL)
    force = models.BooleanField(
        default=False, help_text="Scan even if the commit and configuration did not change."
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.CharField(max_length=150, blank=True)
    # Hash of repository, branch, scanners and their version: same commit + same hash = no change.
    config_hash = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING, blank=True)
    error = models.TextField(blank=True)
    same_as = models.ForeignKey(
        Audit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="A no-change run: the earlier automated audit it repeats.",
    )
    # {scanner name: {"domain", "status" (ok / failed / timeout), "duration_s", "findings" or
    # "error" and "stderr_tail"}}
    parts = models.JSONField(default=dict, blank=True)
    missing = models.JSONField(default=list, blank=True, help_text="Scanners that could not run.")
    duration_s = models.FloatField(null=True, blank=True)
    # New and fixed findings and score changes since the previous automated audit; the shape
    # is built by change.compute_change.
    change = models.JSONField(default=dict, blank=True)
    regression_notified_at = models.DateTimeField(null=True, blank=True)
    # Incremental re-scans (rescans/incremental.py): whether the per-file analyzers read only
    # the files changed since the previous run (the others' results carried forward), how many
    # files they read, and why a run was full or what it built on.
    incremental = models.BooleanField(default=False)
    files_analysed = models.PositiveIntegerField(null=True, blank=True)
    scan_mode_note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(state__in=STATES), name="rescanrun_state_valid"),
            models.CheckConstraint(condition=Q(outcome__in=OUTCOMES), name="rescanrun_outcome_valid"),
            # A finished run says how it ended; an unfinished one has no outcome yet.
            models.CheckConstraint(
                condition=(Q(state__in=["queued", "running"]) & Q(outcome=""))
                | (Q(state="completed") & Q(outcome__in=["scanned", "no_change"]))
                | (Q(state="failed") & Q(outcome__in=["failed", "abandoned"])),
                name="rescanrun_outcome_matches_state",
            ),
        ]

    def __str__(self) -> str:
        return f"Re-scan of audit #{self.audit_id}: {self.state}"

    @property
    def is_regression(self) -> bool:
        return bool((self.change or {}).get("regression"))


class IncrementalState(models.Model):
    """What the per-file analyzers of one completed re-scan reported, file by file (their raw
    output, gzip-compressed JSON), so the next re-scan re-runs them only on the files changed
    since. Kept in the database, not on a worker's disk: the next re-scan of the project may
    run on another worker machine. Only the project's latest state is kept."""

    audit = models.OneToOneField(Audit, on_delete=models.CASCADE, primary_key=True, related_name="+")
    commit_sha = models.CharField(max_length=64)
    # Hash of the scan configuration, the analyzers' versions, the rule pack and auditor's own
    # analyzer code: any change makes the next run full.
    key = models.CharField(max_length=64)
    full_at = models.DateTimeField(help_text="When the full re-scan this state descends from ran.")
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Incremental state of audit #{self.audit_id}"
