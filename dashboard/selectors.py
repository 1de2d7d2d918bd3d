"""Reads for the manager pages (portfolio, project, audit report) and the portfolio rows.

Every page reads with a constant number of queries, whatever the number of projects, audits
or findings: the portfolio from ProjectSummary (one row per project), the project and audit
pages from a handful of grouped queries on indexed columns.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, FloatField, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem, ItemState
from findings.models import Finding, Severity
from projects import access
from projects.models import NEWEST_FIRST, Audit, DomainScore, MaturityDomain, Project
from projects.params import parse_id
from scoring import levels
from scoring.evidence import LanguageLines
from scoring.models import ProjectSummary
from scoring.selectors import audit_measurements

# --- portfolio --------------------------------------------------------------------------------

# Sort keys of the portfolio: name -> expression (the domain columns are added per domain).
PORTFOLIO_SORTS = {
    "name": F("project__name"),
    "lead": F("project__tech_lead__username"),
    "score": F("global_score"),
    "change": F("score_change"),
    "critical": F("open_critical"),
    "high": F("open_high"),
    "medium": F("open_medium"),
    "low": F("open_low"),
    "checklists": F("checklist_percent"),
    "last_audit": F("latest_audit_date"),
    "next_scan": F("project__next_scan_at"),
}
DEFAULT_SORT = "name"

# What a row of the portfolio table shows (portfolio_views.render_portfolio_rows): only these
# columns are read for a page of up to 1,000 rows, not the project's description and settings
# or its tech lead's password hash and dates. Reading another one costs a query per row.
PORTFOLIO_TABLE_FIELDS = (
    "latest_audit_id",
    "latest_audit_date",
    "valid_until",
    "global_score",
    "score_change",
    "history",
    "domain_scores",
    "open_critical",
    "open_high",
    "open_medium",
    "open_low",
    "checklist_done",
    "checklist_applicable",
    "checklist_percent",
    "project__name",
    "project__slug",
    "project__next_scan_at",
    "project__tech_lead__username",
    "project__tech_lead__first_name",
    "project__tech_lead__last_name",
)


@dataclass
class PortfolioFilters:
    level: str = ""
    lead: int | None = None
    stale: str = ""  # "", "yes", "no"
    q: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False

    @classmethod
    def from_query(cls, params, domain_slugs: list[str]) -> PortfolioFilters:
        sort = params.get("o", DEFAULT_SORT)
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        if sort not in PORTFOLIO_SORTS and sort not in domain_slugs:
            sort, descending = DEFAULT_SORT, False
        level = params.get("level", "")
        if level not in {slug for _, _, slug in levels.levels()} | {"none"}:
            level = ""
        lead = parse_id(params.get("lead", ""))
        stale = params.get("stale", "")
        return cls(
            level=level,
            lead=lead,
            stale=stale if stale in ("yes", "no") else "",
            q=params.get("q", "").strip()[:100],
            sort=sort,
            descending=descending,
        )


def _level_q(level_slug: str) -> Q:
    if level_slug == "none":
        return Q(global_score__isnull=True)
    bands = levels.levels()
    for i, (bound, _name, slug) in enumerate(bands):
        if slug == level_slug:
            q = Q(global_score__gte=bound)
            if i > 0:
                q &= Q(global_score__lt=bands[i - 1][0])
            return q
    return Q()


def portfolio_rows(user, filters: PortfolioFilters) -> QuerySet:
    """The portfolio rows the user may see, filtered and sorted (one query when evaluated)."""
    rows = (
        ProjectSummary.objects.filter(
            project__is_active=True, project__in=access.visible_projects(user).values("pk")
        )
        if not access.sees_all_projects(user)
        else ProjectSummary.objects.filter(project__is_active=True)
    )
    if filters.level:
        rows = rows.filter(_level_q(filters.level))
    if filters.lead:
        rows = rows.filter(project__tech_lead_id=filters.lead)
    today = timezone.localdate()
    if filters.stale == "yes":
        rows = rows.filter(valid_until__lt=today)
    elif filters.stale == "no":
        rows = rows.exclude(valid_until__lt=today)
    if filters.q:
        rows = rows.filter(Q(project__name__icontains=filters.q) | Q(project__slug__icontains=filters.q))
    if filters.sort.startswith("d:"):
        expr = Cast(KeyTextTransform(filters.sort[2:], "domain_scores"), FloatField())
    else:
        expr = PORTFOLIO_SORTS[filters.sort]
    order = expr.desc(nulls_last=True) if filters.descending else expr.asc(nulls_last=True)
    return rows.select_related("project__tech_lead").order_by(order, "project__name")


def portfolio_totals(rows: QuerySet) -> dict:
    """Headline figures over the filtered rows (one aggregate query)."""
    today = timezone.localdate()
    aggregates = {
        "projects": Count("pk"),
        "measured": Count("pk", filter=Q(global_score__isnull=False)),
        "stale": Count("pk", filter=Q(valid_until__lt=today)),
        "not_ready": Count("pk", filter=Q(computed_verdict=Audit.Verdict.NOT_READY)),
    }
    aggregates["average"] = Avg("global_score")
    aggregates["critical"] = Sum("open_critical")
    aggregates["high"] = Sum("open_high")
    for _bound, _name, slug in levels.levels():
        aggregates[f"level_{slug}"] = Count("pk", filter=_level_q(slug))
    totals = rows.order_by().aggregate(**aggregates)
    if totals["average"] is not None:
        totals["average"] = Decimal(str(totals["average"])).quantize(Decimal("0.1"))
    return totals


def portfolio_leads() -> QuerySet:
    """Tech leads of active projects, for the filter."""
    return (
        get_user_model()
        .objects.filter(led_projects__is_active=True)
        .distinct()
        .order_by("username")
        .only("id", "username", "first_name", "last_name")
    )


def domains() -> list[MaturityDomain]:
    return list(MaturityDomain.objects.order_by("display_order", "name"))


# --- project page ---------------------------------------------------------------------------


@dataclass
class DomainRow:
    domain: MaturityDomain
    score: DomainScore | None
    previous: Decimal | None
    trend: list[tuple[dt.date | None, Decimal | None]] = field(default_factory=list)

    @property
    def value(self) -> Decimal | None:
        return self.score.score if self.score else None

    @property
    def level(self) -> levels.Level:
        return levels.level_for(self.value)

    @property
    def evidence_value(self) -> tuple[str, bool] | None:
        """For a stated (manual or imported) score: (what the evidence alone gives, whether it
        disagrees with the stated score by 2 points or more); None otherwise."""
        if self.score is None or self.score.source == DomainScore.Source.COMPUTED:
            return None
        first = self.score.evidence[0] if self.score.evidence else None
        if not first or first.get("kind") != "check" or "value" not in first:
            return None
        value = first["value"]
        if value is None:
            return ("n/m", False)
        disagrees = self.value is not None and abs(Decimal(value) - self.value) >= 2
        return (value, disagrees)

    @property
    def change(self) -> Decimal | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


def project_audits(project: Project) -> list[Audit]:
    """All audits of a project, newest first, with the auditor (one query)."""
    return list(project.audits.select_related("auditor").order_by(*NEWEST_FIRST))


def scores_by_audit(audit_ids: list[int]) -> dict[int, dict[int, DomainScore]]:
    """{audit id: {domain id: DomainScore}} for the given audits (one query)."""
    result: dict[int, dict[int, DomainScore]] = defaultdict(dict)
    for score in DomainScore.objects.filter(audit_id__in=audit_ids):
        result[score.audit_id][score.domain_id] = score
    return result


def domain_rows(
    all_domains: list[MaturityDomain],
    audits_oldest_first: list[Audit],
    scores: dict[int, dict[int, DomainScore]],
    latest: Audit | None,
    previous: Audit | None,
) -> list[DomainRow]:
    rows = []
    for domain in all_domains:
        current = scores.get(latest.pk, {}).get(domain.pk) if latest else None
        before = scores.get(previous.pk, {}).get(domain.pk) if previous else None
        trend = []
        for audit in audits_oldest_first:
            s = scores.get(audit.pk, {}).get(domain.pk)
            trend.append((audit.audit_date, s.score if s else None))
        rows.append(
            DomainRow(domain=domain, score=current, previous=before.score if before else None, trend=trend)
        )
    return rows


def open_findings_breakdown(project_id: int) -> dict:
    """Open findings of a project by severity and by domain (one grouped query)."""
    by_severity = {s.value: 0 for s in Severity}
    by_domain: dict[int | None, dict[int, int]] = defaultdict(lambda: {s.value: 0 for s in Severity})
    for domain_id, severity, n in (
        Finding.objects.filter(project_id=project_id, status__in=Finding.ACTIVE_STATUSES)
        .values_list("domain_id", "severity")
        .annotate(n=Count("id"))
        .order_by()
    ):
        by_severity[severity] += n
        by_domain[domain_id][severity] += n
    return {"by_severity": by_severity, "by_domain": dict(by_domain), "total": sum(by_severity.values())}


def checklists_with_progress(project_id: int, audit: Audit | None = None) -> list:
    """Checklists of a project (or those counting for one audit) with item counts (one query)."""
    qs = Checklist.objects.filter(project_id=project_id)
    if audit is not None:
        qs = qs.filter(Q(audit=audit) | Q(audit__isnull=True))
    checklists = list(
        qs.select_related("owner")
        .annotate(
            done=Count("items", filter=Q(items__state=ItemState.DONE)),
            applicable=Count("items", filter=~Q(items__state=ItemState.NOT_APPLICABLE)),
            critical_todo=Count("items", filter=Q(items__state=ItemState.TODO, items__is_critical=True)),
        )
        .order_by("due_date", "id")
    )
    for checklist in checklists:
        checklist.percent = (
            round(100 * checklist.done / checklist.applicable) if checklist.applicable else None
        )
    return checklists


# --- audit report ---------------------------------------------------------------------------

AUDIT_FINDINGS_LISTED = 300


def audit_findings(audit: Audit, *, is_latest: bool) -> tuple[list, dict[int, int], int]:
    """Findings shown in an audit report, worst first, with counts by severity.

    The latest completed audit shows the project's findings open now; an older audit shows the
    findings first or last seen by it.
    """
    if is_latest:
        qs = Finding.objects.filter(project_id=audit.project_id, status__in=Finding.ACTIVE_STATUSES)
    else:
        qs = Finding.objects.filter(
            Q(first_seen_audit=audit) | Q(last_seen_audit=audit), project_id=audit.project_id
        )
    counts = {s.value: 0 for s in Severity}
    for severity, n in qs.values_list("severity").annotate(n=Count("id")).order_by():
        counts[severity] += n
    listed = list(
        qs.select_related("domain")
        .order_by("-severity", "-id")
        .only(
            "id",
            "title",
            "severity",
            "status",
            "tool",
            "rule_id",
            "file_path",
            "line",
            "recommendation",
            "effort",
            "domain__name",
            "domain__slug",
        )[:AUDIT_FINDINGS_LISTED]
    )
    return listed, counts, sum(counts.values())


def checklist_items(checklist_ids: list[int]) -> dict[int, list]:
    """Items of the given checklists, grouped by checklist (one query)."""
    result: dict[int, list] = defaultdict(list)
    for item in (
        ChecklistItem.objects.filter(checklist_id__in=checklist_ids)
        .select_related("domain")
        .order_by("checklist_id", "order", "id")
    ):
        result[item.checklist_id].append(item)
    return result


# --- what a re-scan learnt about the repository -----------------------------------------------


@dataclass(frozen=True)
class RepositoryCard:
    """The repository as a re-scan saw it: languages by kind of code, files found, practices
    and what each analyzer covered. Two queries (scoring.selectors.audit_measurements)."""

    audit_id: int
    languages: list[LanguageLines]
    production_lines: int
    manifests: list[str]
    ecosystems: list[str]
    ci_files: list[str]
    container_files: list[str]
    practices_found: list[str]
    practices_missing: list[str]
    analyzers: list[dict]


def repository_card(audit_id: int | None) -> RepositoryCard | None:
    """None when no re-scan recorded a profile for this audit."""
    if audit_id is None:
        return None
    measured = audit_measurements(audit_id=audit_id)
    profile = measured.profile
    if profile is None:
        return None
    production = profile.production_lines
    analyzers = [
        {
            "name": run.name,
            "status": run.status,
            "languages": ", ".join(run.languages) or "whole repository",
            "share": (round(100 * run.covered_lines / production) if production and run.languages else None),
            "findings": run.findings,
            "suppressed": run.suppressed,
            "seconds": run.seconds,
            "error": run.error,
        }
        for run in measured.runs
    ]
    return RepositoryCard(
        audit_id=audit_id,
        languages=sorted(profile.languages, key=lambda lang: -lang.total),
        production_lines=production,
        manifests=list(profile.manifests),
        ecosystems=list(profile.ecosystems),
        ci_files=list(profile.ci_files),
        container_files=list(profile.container_files),
        practices_found=sorted(k.replace("_", " ") for k, v in profile.practices.items() if v),
        practices_missing=sorted(k.replace("_", " ") for k, v in profile.practices.items() if not v),
        analyzers=analyzers,
    )


def latest_profiled_audit_id(project_id: int) -> int | None:
    """The newest completed audit of the project that a re-scan profiled."""
    return (
        Audit.objects.filter(
            project_id=project_id, status=Audit.Status.COMPLETED, repository_profile__isnull=False
        )
        .order_by(*NEWEST_FIRST)
        .values_list("pk", flat=True)
        .first()
    )
