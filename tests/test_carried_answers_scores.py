"""Answers carried from the previous audit count for no score until someone re-confirms them
(scoring reads only items that are not carried)."""

from django.core.files.uploadedfile import SimpleUploadedFile

from checklists import services
from checklists.models import Checklist, ChecklistItem, ChecklistTemplate
from projects.models import Audit, DomainScore, MaturityDomain
from scoring.services import audit_recompute
from scoring.summaries import project_summary_refresh


def test_carried_answers_measure_nothing_until_confirmed(project, tech_lead, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    first = Audit.objects.create(project=project, title="First", status=Audit.Status.COMPLETED)
    template = ChecklistTemplate.objects.get(slug="deployment")
    checklist = services.checklist_start(project=project, template=template, owner=tech_lead, audit=first)
    security = MaturityDomain.objects.get(slug="security")
    ChecklistItem.objects.filter(checklist=checklist).update(domain=None)
    items = list(checklist.items.order_by("order")[:2])
    ChecklistItem.objects.filter(pk__in=[i.pk for i in items]).update(domain=security)
    for item in items:
        services.answer_item(
            item, user=tech_lead, state="done", evidence_file=SimpleUploadedFile("a.txt", b"checked")
        )
    audit_recompute(audit=first)
    assert DomainScore.objects.get(audit=first, domain=security).score is not None

    second = services.start_audit_from_previous(project, user=tech_lead)
    carried = Checklist.objects.get(audit=second).items.filter(carried=True)
    assert carried.count() == 2
    ChecklistItem.objects.filter(checklist__audit=second).update(domain=None)
    carried.update(domain=security)
    Audit.objects.filter(pk=second.pk).update(status=Audit.Status.COMPLETED)
    audit_recompute(audit=second)
    assert not DomainScore.objects.filter(audit=second, domain=security, score__isnull=False).exists()
    summary = project_summary_refresh(project_id=project.pk)
    # The portfolio row counts the first audit's two answers, not their carried copies.
    size = checklist.items.count()
    assert (summary.checklist_done, summary.checklist_applicable) == (2, size + size - 2)

    services.confirm_carried(carried.first(), user=tech_lead)
    audit_recompute(audit=second)
    score = DomainScore.objects.get(audit=second, domain=security)
    assert score.score is not None
    assert any("1 of 1" in entry["label"] for entry in score.evidence)
