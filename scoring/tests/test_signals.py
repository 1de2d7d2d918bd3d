"""scores_changed and gate_changed: sent on commit, only when something changed, once per recompute."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction

from checklists.models import Checklist, ChecklistItem, ItemState
from findings.models import Finding, Severity
from projects.models import Audit, DomainScore, MaturityDomain
from scoring import services as scoring
from scoring import signals

READY = Audit.Verdict.PRODUCTION_READY
NOT_READY = Audit.Verdict.NOT_READY


@pytest.fixture
def received():
    calls = []

    def on_scores(sender, **kwargs):
        calls.append(("scores", kwargs))

    def on_gate(sender, **kwargs):
        calls.append(("gate", kwargs))

    signals.scores_changed.connect(on_scores, dispatch_uid="test-scores")
    signals.gate_changed.connect(on_gate, dispatch_uid="test-gate")
    yield calls
    signals.scores_changed.disconnect(dispatch_uid="test-scores")
    signals.gate_changed.disconnect(dispatch_uid="test-gate")


@pytest.fixture
def scanned(project, django_capture_on_commit_callbacks):
    """The latest completed audit: its Security checklist is done (Security 10, production ready)."""
    # Everything the fixture scheduled runs now, as after a commit (nothing stays pending).
    with django_capture_on_commit_callbacks(execute=True):
        audit = Audit.objects.create(project=project, title="Re-scan", status=Audit.Status.COMPLETED)
        checklist = Checklist.objects.create(project=project, title="Go-live", audit=audit)
        for i in range(4):
            ChecklistItem.objects.create(
                checklist=checklist,
                order=i,
                text=f"item {i}",
                domain=MaturityDomain.objects.get(slug="security"),
                state=ItemState.DONE,
            )
        scoring.audit_recompute(audit=audit)
    audit.refresh_from_db()
    assert (audit.global_score, audit.computed_verdict) == (Decimal("10.0"), READY)
    return audit


def critical(project, n=1):
    return Finding.objects.create(
        project=project,
        title=f"SQL injection {n}",
        severity=Severity.CRITICAL,
        domain=MaturityDomain.objects.get(slug="security"),
        fingerprint=f"critical-{n}",
    )


def stored(audit, slug):
    return float(DomainScore.objects.get(audit=audit, domain__slug=slug).score)


@pytest.mark.django_db
def test_new_evidence_sends_the_changed_scores_and_the_gate_once_the_transaction_commits(
    project, scanned, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        critical(project)
        assert received == []  # the recompute and its signals wait for the commit
    scanned.refresh_from_db()
    assert [kind for kind, _ in received] == ["scores", "gate"]
    scores = received[0][1]
    assert scores["audit"] == scanned and scores["project"] == project
    assert scores["changes"] == {
        "security": (10.0, stored(scanned, "security")),
        "global": (10.0, float(scanned.global_score)),
    }
    assert stored(scanned, "security") == 3.0
    assert received[1][1]["old"] == READY and received[1][1]["new"] == NOT_READY == scanned.computed_verdict


@pytest.mark.django_db
def test_a_recompute_that_changes_nothing_sends_nothing(
    project, scanned, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        scoring.audit_recompute(audit=scanned)
    assert callbacks  # the comparison ran after commit ...
    assert received == []  # ... and found no change


@pytest.mark.django_db
def test_a_rolled_back_recompute_sends_nothing(
    project, scanned, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            critical(project)
            scoring.audit_recompute(audit=scanned)
            raise RuntimeError("the import failed")
    assert received == []
    scanned.refresh_from_db()
    assert scanned.computed_verdict == READY


@pytest.mark.django_db
def test_several_recomputes_in_one_transaction_send_once_with_the_whole_change(
    project, scanned, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            critical(project, 1)
            scoring.audit_recompute(audit=scanned)
            critical(project, 2)
            Finding.objects.filter(project=project).update(status=Finding.Status.FIXED)
            scoring.audit_recompute(audit=scanned)
    # Back where it started: the two recomputes of the transaction changed nothing in the end.
    assert received == []

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            critical(project, 3)
            scoring.audit_recompute(audit=scanned)
            critical(project, 4)
            scoring.audit_recompute(audit=scanned)
    assert [kind for kind, _ in received] == ["scores", "gate"]
    assert received[0][1]["changes"]["security"][0] == 10.0


@pytest.mark.django_db
def test_a_score_edited_by_hand_sends_the_domain_and_the_global_score_in_one_signal(
    project, scanned, received, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        DomainScore.objects.create(
            audit=scanned,
            domain=MaturityDomain.objects.get(slug="documentation"),
            score=Decimal("0.0"),
            source=DomainScore.Source.MANUAL,
        )
    scanned.refresh_from_db()
    assert len(received) == 2
    kind, scores = received[0]
    assert kind == "scores"
    assert scores["changes"] == {"documentation": (None, 0.0), "global": (10.0, float(scanned.global_score))}
    assert received[1][0] == "gate" and received[1][1]["new"] == scanned.computed_verdict != READY


@pytest.mark.django_db
def test_a_weight_change_announces_the_global_score_of_each_projects_latest_audit(
    project, scanned, received, django_capture_on_commit_callbacks
):
    older = Audit.objects.create(
        project=project,
        title="Last year",
        status=Audit.Status.COMPLETED,
        audit_date=scanned.audit_date - dt.timedelta(days=365),
    )
    documentation = MaturityDomain.objects.get(slug="documentation")
    for audit in (older, scanned):
        DomainScore.objects.create(
            audit=audit, domain=documentation, score=Decimal("4.0"), source=DomainScore.Source.MANUAL
        )
    with django_capture_on_commit_callbacks(execute=True):
        scoring.audit_refresh_global(audit_id=scanned.pk)
    received.clear()
    scanned.refresh_from_db()
    before = float(scanned.global_score)

    documentation.weight = Decimal("0")
    MaturityDomain.objects.filter(pk=documentation.pk).update(weight=Decimal("0"))
    with django_capture_on_commit_callbacks(execute=True):
        scoring.global_scores_refresh_all(reason_domain_id=documentation.pk)
    scanned.refresh_from_db()
    assert float(scanned.global_score) == 10.0
    scores = [kwargs for kind, kwargs in received if kind == "scores"]
    assert [s["audit"] for s in scores] == [scanned]  # the latest audit only, once
    assert scores[0]["changes"] == {"global": (before, 10.0)}
