"""The portfolio row of each project, derived from audits, findings and checklists."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from projects.models import SCORE_MAX, SCORE_MIN, Audit, Project


class ProjectSummary(models.Model):
    """One portfolio row per project, refreshed by scoring.services whenever its inputs change.

    The portfolio reads this table only (one query for all projects): counting open findings
    over a million rows on every page view would cost far more than keeping these counts.
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="summary"
    )
    latest_audit = models.ForeignKey(
        Audit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    latest_audit_date = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    global_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    previous_global_score = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    score_change = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    computed_verdict = models.CharField(
        max_length=20, choices=Audit.Verdict.choices, default=Audit.Verdict.UNKNOWN
    )
    # Global scores of the last completed audits, oldest first: [[audit_id, "YYYY-MM-DD", 7.5]].
    history = models.JSONField(default=list, blank=True)
    # Latest domain scores by domain slug; a missing key or null means not measured.
    domain_scores = models.JSONField(default=dict, blank=True)
    open_critical = models.PositiveIntegerField(default=0)
    open_high = models.PositiveIntegerField(default=0)
    open_medium = models.PositiveIntegerField(default=0)
    open_low = models.PositiveIntegerField(default=0)
    open_info = models.PositiveIntegerField(default=0)
    checklist_done = models.PositiveIntegerField(default=0)
    checklist_applicable = models.PositiveIntegerField(default=0)
    checklist_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Moved from the projects app: the table keeps its name and rows.
        db_table = "projects_projectsummary"
        verbose_name_plural = "project summaries"
        constraints = [
            models.CheckConstraint(
                condition=Q(global_score__isnull=True)
                | Q(global_score__gte=SCORE_MIN, global_score__lte=SCORE_MAX),
                name="projectsummary_global_score_range",
            ),
            models.CheckConstraint(
                condition=Q(checklist_done__lte=models.F("checklist_applicable")),
                name="projectsummary_done_within_applicable",
            ),
            models.CheckConstraint(
                condition=Q(checklist_percent__isnull=True) | Q(checklist_percent__lte=100),
                name="projectsummary_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Summary of {self.project_id}"
