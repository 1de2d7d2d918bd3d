"""Checklist changes reach the maturity scores: the project's latest completed audit is
recomputed once the change commits (scoring.services.schedule_recompute)."""

from projects.models import Audit, DomainScore


def test_ticking_a_critical_security_item_recomputes_the_security_score(
    project, tech_lead, security, make_checklist, django_capture_on_commit_callbacks
):
    from checklists.services import checklist_item_set_state

    audit = Audit.objects.create(project=project, title="Audit", status=Audit.Status.COMPLETED)
    checklist = make_checklist(project, owner=tech_lead, items=[("todo", True), ("done", False)])
    checklist.items.update(domain=security)
    critical = checklist.items.get(is_critical=True)

    with django_capture_on_commit_callbacks(execute=True):
        checklist_item_set_state(item=critical, state="todo", user=tech_lead)  # no change
    assert not DomainScore.objects.filter(audit=audit, domain=security).exists()

    with django_capture_on_commit_callbacks() as callbacks:
        checklist_item_set_state(item=critical, state="done", user=tech_lead, note="Fixed")

    assert len(callbacks) == 1  # one recompute, however many rows changed
    callbacks[0]()  # what runs on commit (what the recompute announces in turn is not under test)
    score = DomainScore.objects.get(audit=audit, domain=security)
    assert score.source == DomainScore.Source.COMPUTED
    assert any("2 of 2" in entry["label"] for entry in score.evidence)
