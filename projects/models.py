"""Projects, their audits, the maturity domains and the per-domain scores of each audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from projects import schedule

SCORE_MIN = Decimal("0.0")
SCORE_MAX = Decimal("10.0")
DEFAULT_VALIDITY_DAYS = 90
# The measured metrics of an audit (columns of Audit), declared once: imports fill them, a
# "no change" re-scan copies them, reports export them.
AUDIT_METRIC_FIELDS = (
    "tests_passed",
    "tests_failed",
    "tests_errors",
    "tests_skipped",
    "tests_duration_seconds",
    "coverage_percent",
    "branch_coverage_percent",
    "security_critical",
    "security_high",
    "security_medium",
    "security_low",
    "files_count",
    "lines_of_code",
    "warnings_count",
)


def split_repository_credentials(url: str) -> tuple[str, str]:
    """An https repository URL without its credentials, and those credentials as the origin
    they belong to ("https://user:token@host"), or "" when it has none."""
    text = (url or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text, ""
    if parts.scheme.lower() != "https" or "@" not in parts.netloc:
        return text, ""
    userinfo, _, host = parts.netloc.rpartition("@")
    clean = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return clean, f"https://{userinfo}@{host.lower()}" if userinfo else ""


def repository_origin(url: str) -> str:
    """The "scheme://host[:port]" of a URL, without credentials ("" for local paths)."""
    try:
        parts = urlsplit((url or "").strip())
    except ValueError:
        return ""
    host = parts.netloc.rpartition("@")[2].lower()
    return f"{parts.scheme.lower()}://{host}" if parts.scheme and host else ""


# Audits newest first, undated ones last on every database (PostgreSQL puts NULLs first in a
# descending order, SQLite last): an undated audit must never count as a project's latest.
NEWEST_FIRST = (models.F("audit_date").desc(nulls_last=True), models.F("id").desc())


class Project(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    tech_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_projects",
    )
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="member_projects")
    repository_url = models.CharField(
        "repository",
        max_length=500,
        blank=True,
        help_text=(
            "https or ssh git URL, or a local path under one of SCAN_LOCAL_ROOTS. Credentials "
            "in an https URL (https://user:token@host/...) are stored apart and never shown; "
            "enter the URL with them again to replace them."
        ),
    )
    # Credentials typed into an https URL are moved here on save and never shown or recorded
    # in the audit trail; re-scans send them to that host only. A URL pointing at another host
    # drops them, so whoever may edit the URL cannot send them elsewhere.
    repository_credentials = models.CharField(max_length=1000, blank=True, editable=False)
    branch = models.CharField(max_length=200, blank=True, default="main")
    is_active = models.BooleanField("active", default=True)
    # Re-scan schedule: empty = off; otherwise a 5-field cron expression ("0 2 * * *").
    scan_schedule = models.CharField(
        max_length=100,
        blank=True,
        help_text='Cron expression (minute hour day month weekday), e.g. "0 2 * * *"; empty = off.',
    )
    next_scan_at = models.DateTimeField(null=True, blank=True)
    enabled_scanners = models.JSONField(
        default=list, blank=True, help_text="Scanner names; empty means all available scanners."
    )
    # Days to fix a finding, by severity (SLA); empty: the global setting (SLA_DAYS_*). A finding
    # keeps the due date it got when first seen, so a change applies to findings seen afterwards.
    sla_critical_days = models.PositiveSmallIntegerField("SLA critical (days)", null=True, blank=True)
    sla_high_days = models.PositiveSmallIntegerField("SLA high (days)", null=True, blank=True)
    sla_medium_days = models.PositiveSmallIntegerField("SLA medium (days)", null=True, blank=True)
    sla_low_days = models.PositiveSmallIntegerField("SLA low (days)", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Dispatcher: "active projects whose next scan is due", a partial index on the queue.
            models.Index(
                fields=["next_scan_at"],
                name="project_scan_due_idx",
                condition=Q(is_active=True, next_scan_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        url, credentials = split_repository_credentials(self.repository_url)
        if credentials:
            self.repository_url, self.repository_credentials = url, credentials
        elif self.repository_credentials and (
            repository_origin(self.repository_credentials) != repository_origin(url)
        ):
            self.repository_credentials = ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "repository_url" in update_fields:
            kwargs["update_fields"] = {*update_fields, "repository_credentials"}
        arm = self._schedule_to_arm(update_fields)
        if arm and update_fields is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "next_scan_at"}
        if arm and self.pk is not None:
            self.next_scan_at = schedule.next_due(self.scan_schedule, timezone.now(), key=self.pk)
        super().save(*args, **kwargs)
        if arm and self.next_scan_at is None and self.scan_schedule:
            # A new project: its jitter follows from the id the insert just gave it.
            self.next_scan_at = schedule.next_due(self.scan_schedule, timezone.now(), key=self.pk)
            Project.objects.filter(pk=self.pk).update(next_scan_at=self.next_scan_at)
        self._remember_schedule()

    def get_absolute_url(self) -> str:
        return reverse("project-detail", args=[self.slug])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._remember_schedule()
        return instance

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        self._remember_schedule()

    def _remember_schedule(self) -> None:
        """The schedule and due time as stored, to tell what a later save() changes."""
        fields = self.__dict__
        if "scan_schedule" in fields and "next_scan_at" in fields:
            self._loaded_schedule = (fields["scan_schedule"], fields["next_scan_at"])

    def _schedule_to_arm(self, update_fields) -> bool:
        """Whether this save derives next_scan_at from the schedule, whatever the path (admin,
        ORM, import, API): when the schedule was set or changed, or is set without a due time,
        and the caller did not set the due time itself. A changed schedule that does not parse
        is refused (ValidationError naming the problem; nothing is saved)."""
        if update_fields is not None and not {"scan_schedule", "next_scan_at"} & set(update_fields):
            return False
        loaded = getattr(self, "_loaded_schedule", None)
        if loaded is None and not self._state.adding:
            return False  # loaded with the schedule deferred: this save does not touch it
        old_schedule, old_next = loaded if loaded is not None else ("", None)
        changed = self.scan_schedule != old_schedule
        if changed:
            try:
                schedule.validate(self.scan_schedule)
            except schedule.ScheduleError as exc:
                raise ValidationError({"scan_schedule": [str(exc)]}) from None
        if self.next_scan_at != old_next:
            return False  # the caller chose the due time
        if changed:
            return True
        if self.scan_schedule and self.next_scan_at is None:
            try:
                schedule.validate(self.scan_schedule)
            except schedule.ScheduleError:
                return False  # stored earlier through a path that skips save(); left off
            return True
        return False


class MaturityDomain(models.Model):
    """A dimension of maturity (Security, Testing, ...), weighted in the global score."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    weight = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    display_order = models.PositiveSmallIntegerField(default=0)
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text='Other names reports use for this domain, e.g. ["Sécurité", "Security"].',
    )

    class Meta:
        ordering = ["display_order", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=0), name="domain_weight_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class Audit(models.Model):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual audit"
        AUTOMATED = "automated", "Automated re-scan"
        IMPORTED = "imported", "Imported report"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    class Verdict(models.TextChoices):
        PRODUCTION_READY = "production_ready", "Production ready"
        WITH_RESERVATIONS = "with_reservations", "Ready with reservations"
        NOT_READY = "not_ready", "Not production ready"
        UNKNOWN = "unknown", "Unknown"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audits")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MANUAL)
    title = models.CharField(max_length=300)
    version_label = models.CharField("version", max_length=100, blank=True)
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audits_performed",
    )
    audit_date = models.DateField("date", null=True, blank=True, default=dt.date.today)
    commit_sha = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    stated_verdict = models.CharField(
        max_length=20,
        choices=Verdict.choices,
        default=Verdict.UNKNOWN,
        help_text="The verdict the audit or report states, as written.",
    )
    computed_verdict = models.CharField(
        max_length=20,
        choices=Verdict.choices,
        default=Verdict.UNKNOWN,
        help_text="The readiness gate computed from evidence.",
    )
    summary = models.TextField(blank=True)
    valid_until = models.DateField(
        null=True, blank=True, help_text=f"Defaults to {DEFAULT_VALIDITY_DAYS} days after the date."
    )
    is_self_attested = models.BooleanField(
        default=False, help_text="Values stated by the audited team, not verified by auditor."
    )

    # Metrics: columns, so they can be filtered, sorted and aggregated.
    tests_passed = models.PositiveIntegerField(null=True, blank=True)
    tests_failed = models.PositiveIntegerField(null=True, blank=True)
    tests_errors = models.PositiveIntegerField(null=True, blank=True)
    tests_skipped = models.PositiveIntegerField(null=True, blank=True)
    tests_duration_seconds = models.FloatField(null=True, blank=True)
    coverage_percent = models.DecimalField(
        "line coverage %", max_digits=5, decimal_places=2, null=True, blank=True
    )
    branch_coverage_percent = models.DecimalField(
        "branch coverage %", max_digits=5, decimal_places=2, null=True, blank=True
    )
    security_critical = models.PositiveIntegerField(null=True, blank=True)
    security_high = models.PositiveIntegerField(null=True, blank=True)
    security_medium = models.PositiveIntegerField(null=True, blank=True)
    security_low = models.PositiveIntegerField(null=True, blank=True)
    files_count = models.PositiveIntegerField("files", null=True, blank=True)
    lines_of_code = models.PositiveIntegerField(null=True, blank=True)
    warnings_count = models.PositiveIntegerField("warnings", null=True, blank=True)
    extra_metrics = models.JSONField(
        default=dict, blank=True, help_text="Other metrics (response time, availability, ...)."
    )

    global_score = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="Weighted mean of the measured domains; stored for fast reading.",
    )
    stated_global_score = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        help_text="The global score an imported report states, kept as stated.",
    )
    # Report import: content hash (re-import detection) and what could not be mapped.
    source_sha256 = models.CharField(max_length=64, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Automated runs: timing (the rest of a run is rescans.RescanRun).
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Domains the evidence of this audit cannot measure, {domain slug: why} (a re-scan whose
    # scanners of a domain all failed). Scoring leaves them not measured; kept here, not on the
    # re-scan run, because scoring sits below rescans and must not import it.
    unmeasured_domains = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-audit_date", "-id"]
        indexes = [
            # Project page and portfolio: "latest audits of a project", newest first.
            models.Index(fields=["project", "-audit_date", "-id"], name="audit_project_latest_idx"),
            # Admin changelist date hierarchy and "audits by status".
            models.Index(fields=["status", "-audit_date"], name="audit_status_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(global_score__isnull=True)
                | Q(global_score__gte=SCORE_MIN, global_score__lte=SCORE_MAX),
                name="audit_global_score_range",
            ),
            models.CheckConstraint(
                condition=Q(stated_global_score__isnull=True)
                | Q(stated_global_score__gte=SCORE_MIN, stated_global_score__lte=SCORE_MAX),
                name="audit_stated_global_score_range",
            ),
            models.CheckConstraint(
                condition=Q(coverage_percent__isnull=True)
                | Q(coverage_percent__gte=0, coverage_percent__lte=100),
                name="audit_coverage_range",
            ),
            models.CheckConstraint(
                condition=Q(branch_coverage_percent__isnull=True)
                | Q(branch_coverage_percent__gte=0, branch_coverage_percent__lte=100),
                name="audit_branch_coverage_range",
            ),
            # Re-importing the same report never creates a second audit of the project.
            models.UniqueConstraint(
                fields=["project", "source_sha256"],
                condition=~Q(source_sha256=""),
                name="audit_unique_source_per_project",
            ),
        ]

    def __str__(self) -> str:
        date = self.audit_date.isoformat() if self.audit_date else "undated"
        return f"{self.project} — {self.title} ({date})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.valid_until is None and self.audit_date is not None:
            # An audit dated near the last date Python knows (9999-12-31) stays valid until then.
            days_left = (dt.date.max - self.audit_date).days
            self.valid_until = self.audit_date + dt.timedelta(days=min(DEFAULT_VALIDITY_DAYS, days_left))
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("audit-detail", args=[self.pk])

    @property
    def is_stale(self) -> bool:
        return self.valid_until is not None and self.valid_until < timezone.localdate()


class DomainScore(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual", "Manual"
        COMPUTED = "computed", "Computed from evidence"
        IMPORTED = "imported", "Imported (stated in a report)"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="domain_scores")
    domain = models.ForeignKey(MaturityDomain, on_delete=models.PROTECT, related_name="scores")
    score = models.DecimalField(
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)],
        help_text="0–10, one decimal. Empty means not measured (no evidence).",
    )
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    rationale = models.TextField(blank=True)
    # The evidence that moved a computed score: [{"kind": ..., "label": ..., "url": ..., "effect": ...}]
    evidence = models.JSONField(default=list, blank=True)
    formula_version = models.CharField(max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["domain__display_order", "domain__name"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "domain"], name="domainscore_unique_per_audit"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX),
                name="domainscore_score_range",
            ),
        ]
        indexes = [
            # Trends: "scores of one domain across audits" (project page line charts) and the
            # trends page's average domain score per period (dashboard/trends.py), read from
            # the index alone: the score is included.
            models.Index(
                fields=["domain", "audit"], include=["score"], name="domainscore_domain_audit_cover"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.score if self.score is not None else 'not measured'}"


# Declared in its own module (the upload jobs of the apps above), registered with this app here.
from projects.job_models import UploadJob  # noqa: E402, F401
