"""A re-scan recomputes its audit's scores in its own transaction; the recomputes its changes
asked for after commit (the import's evidence, the audit's save) are then skipped, unless the
evidence changed again after the recompute."""

from __future__ import annotations

import pytest
from django.db import transaction

from findings.models import Finding, Severity
from projects.events import announce_evidence_changed
from projects.models import Audit, DomainScore, MaturityDomain
from scoring import services as scoring
from tests.pages_data import build_project

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def recomputes(monkeypatch):
    """How many times scores are computed (the real computation, counted)."""
    calls: list[int] = []
    real = scoring.compute_scores

    def counted(audit, *args, **kwargs):
        calls.append(audit.pk)
        return real(audit, *args, **kwargs)

    monkeypatch.setattr(scoring, "compute_scores", counted)
    return calls


def computed_scores(audit: Audit) -> list[tuple[str, object]]:
    return sorted(
        DomainScore.objects.filter(audit=audit, source=DomainScore.Source.COMPUTED).values_list(
            "domain__slug", "score"
        )
    )


def latest(project) -> Audit:
    return Audit.objects.filter(project=project, status=Audit.Status.COMPLETED).latest("audit_date", "pk")


def test_a_recompute_in_the_transaction_settles_what_its_changes_asked_for(recomputes):
    project = build_project(1, findings=0, audits=1)
    audit = latest(project)
    recomputes.clear()

    with transaction.atomic():
        announce_evidence_changed(sender=Finding, project_id=project.pk)  # as an import does
        audit.save()  # a completed audit saved: asks for a refresh after commit
        scoring.audit_recompute(audit=audit)

    assert recomputes == [audit.pk]  # once, in the transaction; nothing more after commit


def test_evidence_changed_after_the_recompute_is_recomputed_after_commit(recomputes):
    project = build_project(2, findings=0, audits=1)
    audit = latest(project)
    observability = MaturityDomain.objects.get(slug="observability")
    recomputes.clear()

    with transaction.atomic():
        scoring.audit_recompute(audit=audit)
        before = computed_scores(audit)
        Finding.objects.create(
            project=project,
            title="No tracing",
            fingerprint="late",
            severity=Severity.HIGH,
            domain=observability,
        )
        announce_evidence_changed(sender=Finding, project_id=project.pk)

    # The late evidence is not lost: recomputed after commit (for the finding's save and for the
    # announcement alike, as any transaction that does both).
    assert recomputes[0] == audit.pk and len(recomputes) > 1
    assert computed_scores(audit) != before


def test_outside_a_re_scan_after_commit_work_runs_as_before(recomputes):
    project = build_project(3, findings=0, audits=1)
    audit = latest(project)
    recomputes.clear()

    with transaction.atomic():
        announce_evidence_changed(sender=Finding, project_id=project.pk)

    assert recomputes == [audit.pk]
