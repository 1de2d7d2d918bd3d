"""The portfolio row of each project, derived from audits, findings and checklists."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
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


class AuditProfile(models.Model):
    """What a re-scan learnt about the repository of one audit (scoring.evidence.RepositoryProfile).

    The totals several modules read (production and test lines) are typed columns; the lists
    are JSON, read back whole by scoring.selectors.audit_measurements.
    """

    audit = models.OneToOneField(
        Audit, on_delete=models.CASCADE, primary_key=True, related_name="repository_profile"
    )
    production_lines = models.PositiveBigIntegerField(default=0)
    test_lines = models.PositiveBigIntegerField(default=0)
    # [{"language": "Python", "production": 1200, "test": 300, "fixture": 0, "docs": 0, "vendored": 0}]
    languages = models.JSONField(default=list, blank=True)
    manifests = models.JSONField(default=list, blank=True)
    ecosystems = models.JSONField(default=list, blank=True)
    ci_files = models.JSONField(default=list, blank=True)
    container_files = models.JSONField(default=list, blank=True)
    # {"readme": true, "ci_runs_tests": false, ...}; a missing key means not checked.
    practices = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Repository profile of audit {self.audit_id}"


class AuditAnalyzerRun(models.Model):
    """One analyzer on the re-scan of one audit (scoring.evidence.AnalyzerRun)."""

    class Status(models.TextChoices):
        RAN = "ok", "Ran"
        FAILED = "failed", "Failed"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="analyzer_runs")
    name = models.CharField(max_length=50)
    domains = models.JSONField(default=list, blank=True)  # domain slugs
    languages = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    covered_lines = models.PositiveBigIntegerField(default=0)
    findings = models.PositiveIntegerField(default=0)
    suppressed = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["audit", "name"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "name"], name="analyzerrun_unique_per_audit"),
            models.CheckConstraint(condition=~Q(name=""), name="analyzerrun_name_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=["ok", "failed", "not_applicable"]),
                name="analyzerrun_status_valid",
            ),
            models.CheckConstraint(condition=Q(seconds__gte=0), name="analyzerrun_seconds_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on audit {self.audit_id}: {self.status}"


class MonthCounts(models.Model):
    """The figures of a month of findings (see FindingMonth)."""

    discovered = models.PositiveIntegerField(default=0)
    fixed = models.PositiveIntegerField(default=0)
    fixed_in_sla = models.PositiveIntegerField(default=0)
    fixed_with_sla = models.PositiveIntegerField(default=0)
    fixed_critical = models.PositiveIntegerField(default=0)
    fixed_high = models.PositiveIntegerField(default=0)
    fixed_medium = models.PositiveIntegerField(default=0)
    fixed_low = models.PositiveIntegerField(default=0)
    # Sums of (fixed_at - first_seen_at) in microseconds: integers, so the sums are exact.
    fix_us_critical = models.BigIntegerField(default=0)
    fix_us_high = models.BigIntegerField(default=0)
    fix_us_medium = models.BigIntegerField(default=0)
    fix_us_low = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class FindingMonth(MonthCounts):
    """Findings of one project and domain in one calendar month (in the TIME_ZONE setting):
    discovered (first seen that month) and fixed (fixed that month), with the SLA outcome and
    the summed time to fix per severity, so the trends page reads a few thousand rows instead
    of a million findings. Refreshed per project by scoring.trend_rollup after every change of
    its findings; `manage.py rebuild_trends` recounts every project.

    A month's discovered figure counts findings whatever their severity; the time to fix is kept
    for the four severities the page shows (a mean is a sum and a count, so months add up
    into quarters and projects into portfolios exactly)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    # Null: findings without a domain. SET_NULL as on the findings: the sums stay right and
    # the next refresh of the project merges the rows.
    domain = models.ForeignKey(
        "projects.MaturityDomain", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    month = models.DateField(help_text="First day of the month.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "domain", "month"], name="findingmonth_unique"),
            models.CheckConstraint(condition=Q(month__day=1), name="findingmonth_first_day"),
            models.CheckConstraint(
                condition=Q(fixed_in_sla__lte=models.F("fixed_with_sla"))
                & Q(fixed_with_sla__lte=models.F("fixed")),
                name="findingmonth_sla_within_fixed",
            ),
        ]
        # The trends page of a project or a tech lead's projects: their months of the window,
        # read from the index alone on PostgreSQL.
        indexes = [
            models.Index(
                fields=["project", "month"],
                include=["domain", *(f.name for f in MonthCounts._meta.fields)],
                name="findingmonth_proj_month_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Findings of {self.project_id} in {self.month:%Y-%m}"


class FindingFixTime(models.Model):
    """How many findings of one project, domain, month of fixing and severity took a given
    time to fix, in whole tenths of a day (truncated): the histogram the trends page takes its
    medians from. A median of durations truncated to the tenth the page shows is at most 0.1 day
    below the exact one. Refreshed with FindingMonth."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    domain = models.ForeignKey(
        "projects.MaturityDomain", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    month = models.DateField(help_text="First day of the month the findings were fixed in.")
    severity = models.PositiveSmallIntegerField()
    tenths = models.PositiveIntegerField(help_text="Time to fix in tenths of a day, truncated.")
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "domain", "month", "severity", "tenths"], name="findingfixtime_unique"
            ),
            models.CheckConstraint(condition=Q(month__day=1), name="findingfixtime_first_day"),
            models.CheckConstraint(condition=Q(count__gt=0), name="findingfixtime_count_positive"),
        ]
        # The medians of a project or a tech lead's projects: their histogram rows of the window,
        # read from the index alone on PostgreSQL.
        indexes = [
            models.Index(
                fields=["project", "month"],
                include=["severity", "tenths", "count"],
                name="findingfixtime_proj_month_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} findings of {self.project_id} fixed in {self.month:%Y-%m}"


class FindingFixTimeTotal(models.Model):
    """FindingFixTime summed over all projects, for whoever sees the whole portfolio: the same
    histogram without the project, kept by adding each project refresh's difference (and
    subtracting a deleted project's rows). domain_key is the domain's id, 0 for none: a plain
    number so the key has no null and an upsert can add to it on every database."""

    domain_key = models.PositiveIntegerField(default=0)
    month = models.DateField()
    severity = models.PositiveSmallIntegerField()
    tenths = models.PositiveIntegerField()
    count = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain_key", "month", "severity", "tenths"], name="findingfixtimetotal_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} findings fixed in {self.month:%Y-%m}"


class FindingMonthTotal(MonthCounts):
    """FindingMonth summed over all projects, for whoever sees the whole portfolio; kept like
    FindingFixTimeTotal (each project refresh adds its difference). domain_key: the domain's
    id, 0 for none."""

    domain_key = models.PositiveIntegerField(default=0)
    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain_key", "month"], name="findingmonthtotal_unique")
        ]

    def __str__(self) -> str:
        return f"Findings of the portfolio in {self.month:%Y-%m}"


class FindingMedianTotal(models.Model):
    """The median time to fix of the whole portfolio in one period (a month or a quarter), for
    one domain (domain_key: the domain's id, 0 for none) or all of them (ALL_DOMAINS), and one
    severity: medians do not add up, so they are kept per period, recomputed from
    FindingFixTimeTotal for the periods each change of it touches (scoring.trend_medians).
    The median is the mean of the two middle values of the histogram, in tenths of a day."""

    ALL_DOMAINS = -1

    period = models.CharField(max_length=7, choices=[("month", "month"), ("quarter", "quarter")])
    start = models.DateField(help_text="First day of the month or quarter.")
    domain_key = models.IntegerField(help_text="The domain's id, 0 for none, -1 for every domain.")
    severity = models.PositiveSmallIntegerField()
    low_tenths = models.PositiveIntegerField()
    high_tenths = models.PositiveIntegerField()
    count = models.PositiveIntegerField(help_text="Fixed findings the median is taken over.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["period", "start", "domain_key", "severity"], name="findingmediantotal_unique"
            ),
            models.CheckConstraint(
                condition=Q(low_tenths__lte=F("high_tenths")), name="findingmediantotal_order"
            ),
            models.CheckConstraint(condition=Q(count__gt=0), name="findingmediantotal_count_positive"),
            models.CheckConstraint(condition=Q(domain_key__gte=-1), name="findingmediantotal_domain_key"),
        ]

    def __str__(self) -> str:
        return f"Median time to fix in the {self.period} of {self.start:%Y-%m}"
