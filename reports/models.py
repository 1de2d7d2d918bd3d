"""Where an imported audit came from: the Markdown file and what reading it had to repair."""

from __future__ import annotations

from django.db import models

from projects.models import Audit, MaturityDomain


class ReportSource(models.Model):
    """One per audit imported from a Markdown report (`audit.report_source`). The content hash
    and the unmapped lines stay on the audit (`source_sha256`, `warnings`): re-import detection
    and the audit page use them for every kind of audit."""

    audit = models.OneToOneField(
        Audit, on_delete=models.CASCADE, primary_key=True, related_name="report_source"
    )
    file_name = models.CharField(max_length=255, blank=True)
    imported_by = models.CharField(max_length=150, blank=True)
    verdict_as_written = models.CharField(max_length=300, blank=True)
    # Repairs made while reading (encoding, table shape, ...), each one sentence.
    repairs = models.JSONField(default=list, blank=True)
    # Rounded to two decimals, as the inconsistency message shows it.
    weighted_mean_of_stated_scores = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )
    # When the stated global score disagrees with the weighted mean of the stated domain scores:
    # {"stated_global", "weighted_mean", "difference"}; empty when they agree.
    inconsistency = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Report {self.file_name or '(unnamed)'} of audit #{self.audit_id}"


class StatedScore(models.Model):
    """A score an imported report states, kept as written whether or not its label names a
    maturity domain ("Frontend 8/10", "Développeur backend 2/10"). A label that names a domain
    also gave the audit's DomainScore (`domain` is then set). An admin can map a label to a
    domain later: the label becomes one of the domain's aliases, for this and future imports."""

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="stated_scores")
    order = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=200)
    # The label normalised (lower case, no accents): what mapping a label matches on.
    label_key = models.CharField(max_length=200, db_index=True)
    score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    # The value before, when the report states a change ("6/10 → 8/10" keeps 8, before 6).
    before = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    scale = models.CharField(
        max_length=20, blank=True, help_text="The scale as stated: 10, 100, 20, 5, %, stars, letter."
    )
    raw = models.CharField("as written", max_length=100, blank=True)
    domain = models.ForeignKey(
        MaturityDomain, on_delete=models.SET_NULL, null=True, blank=True, related_name="stated_scores"
    )

    class Meta:
        ordering = ["audit", "order"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__isnull=True) | models.Q(score__gte=0, score__lte=10),
                name="stated_score_between_0_and_10",
            ),
            models.CheckConstraint(
                condition=models.Q(before__isnull=True) | models.Q(before__gte=0, before__lte=10),
                name="stated_score_before_between_0_and_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.score if self.score is not None else '—'}/10 (audit #{self.audit_id})"
