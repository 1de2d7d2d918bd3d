"""Builds small portfolios for the page tests (real rows, real scoring)."""

import datetime as dt
from decimal import Decimal

from checklists.models import Checklist, ChecklistItem, ItemState
from findings.models import Finding, Severity
from projects.models import Audit, DomainScore, MaturityDomain, Project
from scoring import services as scoring


def build_project(
    index: int, *, lead=None, audits: int = 3, findings: int = 5, checklist_items: int = 4, days_ago: int = 10
) -> Project:
    """A project with `audits` completed audits (manual scores), open findings and a checklist;
    its latest audit is recomputed through the scoring module."""
    project = Project.objects.create(name=f"Project {index:04d}", slug=f"project-{index:04d}", tech_lead=lead)
    domains = list(MaturityDomain.objects.order_by("display_order")[:4])
    today = dt.date.today()
    for a in range(audits):
        audit = Audit.objects.create(
            project=project,
            title=f"Audit {a + 1}",
            status=Audit.Status.COMPLETED,
            audit_date=today - dt.timedelta(days=days_ago + 30 * (audits - 1 - a)),
            stated_verdict=Audit.Verdict.PRODUCTION_READY,
            coverage_percent=Decimal(60 + a),
            tests_passed=100,
            tests_failed=a,
        )
        DomainScore.objects.bulk_create(
            DomainScore(
                audit=audit,
                domain=d,
                score=Decimal(str(4 + (index + a + i) % 6)),
                source=DomainScore.Source.MANUAL,
                rationale="entered",
            )
            for i, d in enumerate(domains[:2])
        )
        scoring.audit_refresh_global(audit_id=audit.pk)
    severities = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO]
    Finding.objects.bulk_create(
        Finding(
            project=project,
            title=f"Finding {f}",
            severity=severities[(index + f) % 5],
            domain=domains[f % 4],
            fingerprint=f"p{index}-f{f}",
            status=Finding.Status.OPEN,
        )
        for f in range(findings)
    )
    checklist = Checklist.objects.create(project=project, title="Go-live")
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            checklist=checklist,
            order=i,
            text=f"Item {i}",
            domain=domains[i % 4],
            state=ItemState.DONE if i % 2 else ItemState.TODO,
            is_critical=i == 0,
        )
        for i in range(checklist_items)
    )
    scoring.project_recompute(project_id=project.pk)
    return project
