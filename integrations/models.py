"""Webhooks and chat channels (per project or global), their deliveries, and badge keys."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from integrations.event_types import EVENT_CHOICES


class Webhook(models.Model):
    """A receiver of signed Standard Webhooks. Its secret is stored encrypted, shown once."""

    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhooks",
        help_text="Empty: every project's events.",
    )
    name = models.CharField(max_length=100)
    url = models.URLField("URL", max_length=500)
    events = models.JSONField(default=list, help_text="Event types sent to this receiver.")
    active = models.BooleanField(default=True)
    secret_encrypted = models.TextField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one webhook: its payload and state; attempts below."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (retries exhausted)"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    project = models.ForeignKey(
        "projects.Project", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    event = models.CharField(max_length=40, choices=EVENT_CHOICES)
    message_id = models.CharField(max_length=40, unique=True)
    payload = models.JSONField()
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["webhook", "-created_at"], name="integr_delivery_hook_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.webhook_id}"


class WebhookAttempt(models.Model):
    """One HTTP attempt of a delivery: the log row the admin shows."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("delivery", "number")
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="integr_attempt_once"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"


class ChatChannel(models.Model):
    """A Slack or Microsoft Teams incoming webhook; its URL (a secret) is stored encrypted."""

    class Kind(models.TextChoices):
        SLACK = "slack", "Slack"
        TEAMS = "teams", "Microsoft Teams"

    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chat_channels",
        help_text="Empty: every project's events (one message per project).",
    )
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url_encrypted = models.TextField(editable=False)
    url_hint = models.CharField("URL", max_length=120, editable=False, help_text="Host and path start.")
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class ChatEvent(models.Model):
    """An event waiting for (or sent in) a channel's digest; claimed by one flush only."""

    channel = models.ForeignKey(ChatChannel, on_delete=models.CASCADE, related_name="queued_events")
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=40, choices=EVENT_CHOICES)
    text = models.CharField(max_length=1000)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    batch = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("created_at", "pk")
        indexes = [
            models.Index(
                fields=["channel", "created_at"],
                condition=Q(batch__isnull=True),
                name="integr_chat_unclaimed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} for {self.project_id}"


class BadgeKey(models.Model):
    """The random key in a project's public badge URLs; rotating it breaks the old URLs."""

    project = models.OneToOneField("projects.Project", on_delete=models.CASCADE, related_name="badge_key")
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"badge key of {self.project_id}"
