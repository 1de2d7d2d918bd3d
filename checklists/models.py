"""Checklist templates, the checklists started from them, item history and reminders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


class ItemState(models.TextChoices):
    TODO = "todo", "To do"
    DONE = "done", "Done"
    NOT_APPLICABLE = "na", "Not applicable"


class ChecklistTemplate(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(
        default=1, help_text="Raised on every edit; checklists keep the version they started from."
    )
    library_version = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="Version of the shipped library entry last loaded; empty for templates made here.",
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(version__gte=1), name="checklisttemplate_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"


class ChecklistTemplateItem(models.Model):
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(default=0)
    section = models.CharField(max_length=200, blank=True)
    text = models.CharField(max_length=500)
    guidance = models.TextField(blank=True)
    is_critical = models.BooleanField("critical", default=False)
    domain = models.ForeignKey(
        "projects.MaturityDomain",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.text


class Checklist(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="checklists")
    audit = models.ForeignKey(
        "projects.Audit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checklists",
    )
    template = models.ForeignKey(
        ChecklistTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checklists",
    )
    template_version = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_checklists",
    )
    due_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            # Reminders: "checklists of an owner due before a date".
            models.Index(fields=["owner", "due_date"], name="checklist_owner_due_idx"),
            # Project page: "checklists of a project".
            models.Index(fields=["project", "due_date"], name="checklist_project_due_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_admin_url(self) -> str:
        return reverse("admin:checklists_checklist_change", args=[self.pk])


class ChecklistItem(models.Model):
    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="items")
    order = models.PositiveIntegerField(default=0)
    section = models.CharField(max_length=200, blank=True)
    text = models.CharField(max_length=500)
    guidance = models.TextField(blank=True)
    is_critical = models.BooleanField("critical", default=False)
    domain = models.ForeignKey(
        "projects.MaturityDomain",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(max_length=4, choices=ItemState.choices, default=ItemState.TODO)
    note = models.TextField("note or evidence", blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["checklist", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ItemState.values), name="checklistitem_state_valid"),
            # "Not applicable" needs a justification, enforced where the data lives.
            models.CheckConstraint(
                condition=~Q(state=ItemState.NOT_APPLICABLE) | ~Q(note=""),
                name="checklistitem_na_needs_note",
                violation_error_message="An item marked not applicable needs a justification in its note.",
            ),
        ]
        indexes = [
            # Progress and "critical items still open" per checklist.
            models.Index(fields=["checklist", "state"], name="checklistitem_state_idx"),
        ]

    def __str__(self) -> str:
        return self.text


class ChecklistItemHistory(models.Model):
    """One state change of a checklist item: who, when, from, to, and the note at that time."""

    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="history")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=4, choices=ItemState.choices)
    to_state = models.CharField(max_length=4, choices=ItemState.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name_plural = "checklist item history"
        constraints = [
            # A history row records a change: from and to always differ.
            models.CheckConstraint(
                condition=~Q(from_state=models.F("to_state")), name="checklistitemhistory_is_change"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_state} → {self.to_state}"


class ReminderDelivery(models.Model):
    """The daily digest to one owner: claimed before sending, so it is sent at most once a day.

    A run inserts a `pending` row per owner (the unique constraint makes it one per owner and
    day), then claims pending and failed rows with one conditional UPDATE stamping its own
    `claim_token`; only the rows carrying its token are sent. A concurrent run, a retried task or
    a second beat finds them already claimed or sent and sends nothing.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        CLAIMED = "claimed", "Claimed (sending)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_deliveries"
    )
    day = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    checklist_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(auto_now_add=True)
    attempt_log = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="Every attempt: when, outcome (sent / failed) and the error if any.",
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "owner"]
        verbose_name_plural = "reminder deliveries"
        constraints = [
            # The exactly-once guarantee, and the index the claim UPDATE (owner, day) uses.
            models.UniqueConstraint(fields=["owner", "day"], name="reminder_once_per_owner_day"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "claimed", "sent", "failed"]),
                name="reminder_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_sent_at",
            ),
        ]
        indexes = [
            # Claim step: "the rows this run claimed" (WHERE claim_token = ...).
            models.Index(fields=["claim_token"], name="reminder_claim_token_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.day} {self.status}"
