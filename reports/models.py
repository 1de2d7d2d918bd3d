"""Where an imported audit came from: the Markdown file and what reading it had to repair."""

from __future__ import annotations

from django.db import models

from projects.models import Audit


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
