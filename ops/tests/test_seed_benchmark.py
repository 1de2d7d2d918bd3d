"""manage.py seed_benchmark: a synthetic portfolio, added to what exists."""

import pytest
from django.core.management import CommandError, call_command

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding
from projects.models import Audit, DomainScore, MaturityDomain, Project
from scoring.models import ProjectSummary


@pytest.mark.django_db
def test_seeding_twice_adds_projects_with_their_audits_scores_findings_and_checklists(capsys):
    call_command("seed_benchmark", projects=2, findings_per_project=30)
    call_command("seed_benchmark", projects=3, findings_per_project=30)
    domains = MaturityDomain.objects.count()
    assert Project.objects.filter(slug__startswith="bench-").count() == 5
    assert Audit.objects.count() == 5 * 20
    assert DomainScore.objects.count() == 5 * 20 * domains
    assert Finding.objects.count() == 5 * 30
    assert Checklist.objects.count() == 5 * 10
    assert ChecklistItem.objects.count() == 5 * 10 * 10
    # Portfolio rows are ready, consistent with the audits.
    summary = ProjectSummary.objects.get(project__slug="bench-000004")
    latest = Audit.objects.filter(project__slug="bench-000004").order_by("-audit_date").first()
    assert summary.latest_audit_id == latest.pk
    assert summary.global_score == latest.global_score
    assert len(summary.history) == 12
    assert (
        sum(getattr(summary, f"open_{s}") for s in ("critical", "high", "medium", "low", "info"))
        == Finding.objects.filter(project__slug="bench-000004", status__in=Finding.ACTIVE_STATUSES).count()
    )
    assert "Added 3 projects" in capsys.readouterr().out


@pytest.mark.django_db
def test_zero_projects_is_refused_with_a_clear_message():
    with pytest.raises(CommandError, match="--projects must be at least 1"):
        call_command("seed_benchmark", projects=0)
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_verdicts_follow_each_projects_open_findings():
    call_command("seed_benchmark", projects=4, findings_per_project=200)
    for summary in ProjectSummary.objects.select_related("project"):
        worst = Finding.objects.filter(
            project=summary.project, status__in=Finding.ACTIVE_STATUSES, severity__gte=3
        )
        if summary.project.slug == "bench-000000":  # one project in four fixed its worst
            assert not worst.exists()
        if worst.filter(severity=4).exists():
            assert summary.computed_verdict == Audit.Verdict.NOT_READY
