"""Checklist templates, the checklists started from them, item history and reminders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from checklists.evidence_rules import RULE_CHOICES


class ItemState(models.TextChoices):
    TODO = "todo", "To do"
    DONE = "done", "Done"
    NOT_APPLICABLE = "na", "Not applicable"


class ReviewState(models.TextChoices):
    OPEN = "open", "Open"
    SUBMITTED = "submitted", "Submitted for review"
    SIGNED_OFF = "signed_off", "Signed off"


class AnswerSource(models.TextChoices):
    PERSON = "person", "Answered by a person"
    EVIDENCE = "evidence", "Answered from evidence"


class HistoryEvent(models.TextChoices):
    CHANGE = "change", "Answered"
    RECONFIRM = "reconfirm", "Carried answer re-confirmed"
    EVIDENCE = "evidence", "Answered from evidence"
    CONFIRM = "confirm", "Evidence answer confirmed"
    OVERRIDE = "override", "Evidence answer overridden"


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
    evidence_rule = models.CharField(
        max_length=40,
        blank=True,
        choices=RULE_CHOICES,
        help_text="Answered from evidence auditor holds (re-scans, tests, findings); a person confirms.",
    )
    evidence_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The figure a rule compares with (coverage: percent); empty for its default.",
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
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The checklist of the previous audit its answers were carried from.",
    )
    review_state = models.CharField(
        "review", max_length=12, choices=ReviewState.choices, default=ReviewState.OPEN
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        permissions = [
            ("signoff_checklist", "Can sign off a checklist submitted by someone else"),
            ("reopen_checklist", "Can reopen a signed-off checklist"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(review_state__in=["open", "submitted", "signed_off"]),
                name="checklist_review_state_valid",
            ),
            # Four eyes: whoever signs off did not submit (a deleted account leaves NULL, which passes).
            models.CheckConstraint(
                condition=Q(signed_off_by__isnull=True)
                | Q(submitted_by__isnull=True)
                | ~Q(signed_off_by=models.F("submitted_by")),
                name="checklist_signoff_not_by_submitter",
                violation_error_message="The reviewer who signs off cannot be the person who submitted.",
            ),
            models.CheckConstraint(
                condition=~Q(review_state="signed_off")
                | Q(signed_off_at__isnull=False, submitted_at__isnull=False),
                name="checklist_signed_off_has_dates",
            ),
            models.CheckConstraint(
                condition=~Q(review_state="submitted") | Q(submitted_at__isnull=False),
                name="checklist_submitted_has_date",
            ),
        ]
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

    @property
    def is_signed_off(self) -> bool:
        return self.review_state == ReviewState.SIGNED_OFF


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
    template_item = models.ForeignKey(
        ChecklistTemplateItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Re-audits: the answer copied from the previous audit's item, which counts for nothing
    # (progress, scores) until someone re-confirms or changes it.
    carried = models.BooleanField(
        "carried, to re-confirm",
        default=False,
        help_text="Answer copied from the previous audit: not counted until re-confirmed.",
    )
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    evidence_expires_on = models.DateField(
        "evidence valid until",
        null=True,
        blank=True,
        help_text="After this date a re-audit does not carry this answer's link and files.",
    )
    # Answers from evidence: the rule (copied from the template), and what it read.
    evidence_rule = models.CharField(max_length=40, blank=True, choices=RULE_CHOICES)
    evidence_threshold = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    answer_source = models.CharField(max_length=10, choices=AnswerSource.choices, default=AnswerSource.PERSON)
    provenance = models.JSONField(
        default=dict,
        blank=True,
        editable=False,
        help_text="The evidence an answer came from: rule, values read, source, date.",
    )
    provenance_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    provenance_confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["checklist", "order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(state__in=ItemState.values), name="checklistitem_state_valid"),
            models.CheckConstraint(
                condition=Q(answer_source__in=["person", "evidence"]),
                name="checklistitem_answer_source_valid",
            ),
            # An answer from evidence always says what it read.
            models.CheckConstraint(
                condition=~Q(answer_source="evidence") | ~Q(provenance={}),
                name="checklistitem_evidence_answer_has_provenance",
            ),
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
            # The queue: "items to re-confirm" of the lead's checklists.
            models.Index(fields=["checklist"], condition=Q(carried=True), name="checklistitem_carried_idx"),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def counts(self) -> bool:
        """Whether this answer counts for progress and scores (a carried one does not, yet)."""
        return not self.carried

    @property
    def awaits_confirmation(self) -> bool:
        """Answered from evidence, not yet confirmed by a person."""
        return self.answer_source == AnswerSource.EVIDENCE and self.provenance_confirmed_at is None


class EvidenceFile(models.Model):
    """One revision of a file attached to an item as evidence. A new upload adds a revision;
    older ones stay. Bulk answers and re-audits point several rows at one stored file."""

    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="evidence_files")
    revision = models.PositiveIntegerField()
    # Stored under a generated name (checklists/evidence_files.py), never the client's.
    file = models.FileField(upload_to="checklist-evidence/", max_length=300, editable=False)
    original_name = models.CharField(
        max_length=255, blank=True, help_text="As uploaded; shown, never used to store or serve."
    )
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["item", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["item", "revision"], name="evidencefile_one_revision_number"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="evidencefile_revision_positive"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="evidencefile_sha256_hex"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.original_name or 'evidence'} (rev. {self.revision})"

    def get_download_url(self) -> str:
        return reverse("checklists:evidence-download", args=[self.pk])


class ChecklistReviewEvent(models.Model):
    """Submit, sign-off and reopen of a checklist: who, when, and the reason of a reopen."""

    class Action(models.TextChoices):
        SUBMIT = "submit", "Submitted for review"
        SIGN_OFF = "sign_off", "Signed off"
        REOPEN = "reopen", "Reopened"

    checklist = models.ForeignKey(Checklist, on_delete=models.CASCADE, related_name="review_events")
    action = models.CharField(max_length=10, choices=Action.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["submit", "sign_off", "reopen"]), name="reviewevent_action_valid"
            ),
            models.CheckConstraint(
                condition=~Q(action="reopen") | ~Q(reason=""), name="reviewevent_reopen_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.checklist_id}: {self.action}"


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
    event = models.CharField(max_length=12, choices=HistoryEvent.choices, default=HistoryEvent.CHANGE)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name_plural = "checklist item history"
        constraints = [
            # A "change" row records a change: from and to differ. A re-confirmation or a
            # confirmed evidence answer may keep the state.
            models.CheckConstraint(
                condition=~Q(event="change") | ~Q(from_state=models.F("to_state")),
                name="checklistitemhistory_change_changes",
            ),
            models.CheckConstraint(
                condition=Q(event__in=["change", "reconfirm", "evidence", "confirm", "override"]),
                name="checklistitemhistory_event_valid",
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
