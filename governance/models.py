"""Exceptions: a decision, approved by a second person, to stop counting a finding, every
finding of one rule in a project, or a checklist item, for a reason and (usually) until a date."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class Reason(models.TextChoices):
    ACCEPTED_RISK = "accepted_risk", "Accepted business risk"
    FALSE_POSITIVE = "false_positive", "False positive"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    MITIGATED_ELSEWHERE = "mitigated", "Mitigated elsewhere"
    TEST_DATA = "test_data", "Test data"


class Target(models.TextChoices):
    FINDING = "finding", "One finding"
    RULE = "rule", "A rule in the project (tool and rule id)"
    CHECKLIST_ITEM = "item", "A checklist item"


class State(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class Origin(models.TextChoices):
    REQUEST = "request", "Requested by a person"
    SUPPRESSION = "suppression", "Suppressed by the team in a scanner file"
    REPORT = "report", "Stated in an imported report"


# States in which an exception still stands (waiting or in force): one per target at a time.
STANDING_STATES = (State.PENDING, State.APPROVED)


class PolicyException(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="exceptions")
    target = models.CharField(max_length=10, choices=Target.choices)
    finding = models.ForeignKey(
        "findings.Finding", null=True, blank=True, on_delete=models.CASCADE, related_name="exceptions"
    )
    tool = models.CharField(max_length=100, blank=True, help_text="Rule exceptions: the tool name.")
    rule_id = models.CharField(max_length=200, blank=True, help_text="Rule exceptions: the rule id.")
    checklist_item = models.ForeignKey(
        "checklists.ChecklistItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="exceptions",
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    justification = models.TextField(help_text="Why, in words a reviewer can check.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who rejected or revoked it (approvals: approved by).",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    # Who asked: a person, or a file an import read (a suppression in a scanner file, a finding
    # a Markdown report states as accepted risk or false positive), then on the importer's behalf.
    origin = models.CharField(max_length=12, choices=Origin.choices, default=Origin.REQUEST)
    legacy = models.BooleanField(
        default=False,
        help_text="Recorded before exceptions existed (no requester or approver); an accepted risk "
        "got an expiry when it was upgraded.",
    )
    # How the exception ended (expiry, revocation) and what that did, for readers of the finding.
    end_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "exception"
        ordering = ["-created_at", "-id"]
        permissions = [("approve_policyexception", "Can approve or reject exceptions")]
        constraints = [
            # Four eyes: whoever asked cannot approve.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("requested_by")),
                name="exception_four_eyes",
            ),
            models.CheckConstraint(
                condition=(
                    Q(target="finding", finding__isnull=False, checklist_item__isnull=True, rule_id="")
                    | Q(target="rule", finding__isnull=True, checklist_item__isnull=True)
                    & ~Q(tool="")
                    & ~Q(rule_id="")
                    | Q(target="item", finding__isnull=True, checklist_item__isnull=False, rule_id="")
                ),
                name="exception_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(reason="accepted_risk") | Q(expires_on__isnull=False),
                name="exception_accepted_risk_expires",
            ),
            models.CheckConstraint(
                condition=~Q(state="approved") | Q(approved_by__isnull=False) | Q(legacy=True),
                name="exception_approved_has_approver",
            ),
            models.UniqueConstraint(
                fields=["finding"],
                condition=Q(state__in=["pending", "approved"], finding__isnull=False),
                name="exception_one_standing_per_finding",
            ),
            models.UniqueConstraint(
                fields=["checklist_item"],
                condition=Q(state__in=["pending", "approved"], checklist_item__isnull=False),
                name="exception_one_standing_per_item",
            ),
            models.UniqueConstraint(
                fields=["project", "tool", "rule_id"],
                condition=Q(state__in=["pending", "approved"], target="rule"),
                name="exception_one_standing_per_rule",
            ),
        ]
        indexes = [
            # Expiry sweep and reminders: "approved exceptions by expiry date".
            models.Index(fields=["state", "expires_on"], name="exception_state_expiry_idx"),
            models.Index(fields=["project", "state"], name="exception_project_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.subject}"

    @property
    def subject(self) -> str:
        if self.target == Target.RULE:
            return f"rule {self.tool}/{self.rule_id}"
        if self.target == Target.CHECKLIST_ITEM:
            return f"checklist item {self.checklist_item_id}"
        return f"finding {self.finding_id}"

    def get_admin_url(self) -> str:
        return reverse("admin:governance_policyexception_change", args=[self.pk])


class DailyAnnouncement(models.Model):
    """The day whose signals (governance.signals) were sent: the row is claimed before sending,
    so two racing daily runs send each day's signals once."""

    day = models.DateField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"signals of {self.day:%Y-%m-%d}"
