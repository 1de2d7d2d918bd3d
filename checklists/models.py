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
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

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
        "projects.MaturityDomain", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["template", "order", "id"]

    def __str__(self) -> str:
        return self.text


class Checklist(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="checklists"
    )
    audit = models.ForeignKey(
        "projects.Audit", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="checklists",
    )
    template = models.ForeignKey(
        ChecklistTemplate, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="checklists",
    )
    template_version = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
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
        "projects.MaturityDomain", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(max_length=4, choices=ItemState.choices, default=ItemState.TODO)
    note = models.TextField("note or evidence", blank=True)
    evidence_url = models.URLField(max_length=500, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["checklist", "order", "id"]
        constraints = [
            # "Not applicable" needs a justification, enforced where the data lives.
            models.CheckConstraint(
                condition=~Q(state=ItemState.NOT_APPLICABLE) | ~Q(note=""),
                name="checklistitem_na_needs_note",
                violation_error_message="An item marked not applicable needs a justification "
                "in its note.",
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
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=4, choices=ItemState.choices)
    to_state = models.CharField(max_length=4, choices=ItemState.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name_plural = "checklist item history"

    def __str__(self) -> str:
        return f"{self.item_id}: {self.from_state} → {self.to_state}"


class ReminderDelivery(models.Model):
    """The daily digest to one owner: claimed before sending, so it is sent at most once a day."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", "Claimed (sending)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_deliveries"
    )
    day = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    attempts = models.PositiveSmallIntegerField(default=1)
    checklist_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "owner"]
        verbose_name_plural = "reminder deliveries"
        constraints = [
            models.UniqueConstraint(fields=["owner", "day"], name="reminder_once_per_owner_day"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.day} {self.status}"
