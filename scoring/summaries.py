"""The portfolio rows (ProjectSummary): one row per project, recounted from its audits,
findings and checklists whenever scoring recomputes the project."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from checklists.models import ChecklistItem, ItemState
from findings.models import Finding
from projects.models import NEWEST_FIRST, Audit, DomainScore, Project
from scoring.models import ProjectSummary

HISTORY_LENGTH = 12  # audits kept in a portfolio row's sparkline
SEVERITY_FIELDS = ("open_critical", "open_high", "open_medium", "open_low", "open_info")


def _completed_audits(project_id: int) -> QuerySet:
    return Audit.objects.filter(project_id=project_id, status=Audit.Status.COMPLETED).order_by(*NEWEST_FIRST)


def project_summary_refresh(*, project_id: int) -> ProjectSummary:
    """Recount one project's portfolio row from its audits, findings and checklists."""
    audits = list(
        _completed_audits(project_id).values(
            "id", "audit_date", "valid_until", "global_score", "computed_verdict"
        )[:HISTORY_LENGTH]
    )
    latest = audits[0] if audits else None
    previous = audits[1] if len(audits) > 1 else None

    domain_scores = {}
    if latest:
        domain_scores = {
            slug: (float(score) if score is not None else None)
            for slug, score in DomainScore.objects.filter(audit_id=latest["id"]).values_list(
                "domain__slug", "score"
            )
        }
    counts = dict.fromkeys(SEVERITY_FIELDS, 0)
    for severity, n in (
        Finding.objects.filter(project_id=project_id, status__in=Finding.ACTIVE_STATUSES)
        .values_list("severity")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts[SEVERITY_FIELDS[4 - severity]] = n
    items = ChecklistItem.objects.filter(checklist__project_id=project_id, carried=False).aggregate(
        done=Count("id", filter=Q(state=ItemState.DONE)),
        applicable=Count("id", filter=~Q(state=ItemState.NOT_APPLICABLE)),
    )
    global_score = latest["global_score"] if latest else None
    previous_score = previous["global_score"] if previous else None
    summary = ProjectSummary(
        project_id=project_id,
        latest_audit_id=latest["id"] if latest else None,
        latest_audit_date=latest["audit_date"] if latest else None,
        valid_until=latest["valid_until"] if latest else None,
        global_score=global_score,
        previous_global_score=previous_score,
        score_change=(
            global_score - previous_score if global_score is not None and previous_score is not None else None
        ),
        computed_verdict=latest["computed_verdict"] if latest else Audit.Verdict.UNKNOWN,
        history=[
            [
                a["id"],
                a["audit_date"].isoformat() if a["audit_date"] else None,
                float(a["global_score"]) if a["global_score"] is not None else None,
            ]
            for a in reversed(audits)
        ],
        domain_scores=domain_scores,
        checklist_done=items["done"],
        checklist_applicable=items["applicable"],
        checklist_percent=(round(100 * items["done"] / items["applicable"]) if items["applicable"] else None),
        refreshed_at=timezone.now(),
        **counts,
    )
    fields = [f.name for f in ProjectSummary._meta.concrete_fields if f.name != "project"]
    ProjectSummary.objects.bulk_create(
        [summary], update_conflicts=True, unique_fields=["project"], update_fields=fields
    )
    return summary


def project_summaries_fill_missing(limit: int = 200) -> int:
    """Create the portfolio rows of projects that have none yet (created by a path that did not
    go through scoring, e.g. a bulk load or a fresh project in the admin). One query when
    nothing is missing."""
    missing = list(Project.objects.filter(summary__isnull=True).values_list("pk", flat=True)[:limit])
    for project_id in missing:
        project_summary_refresh(project_id=project_id)
    return len(missing)
