"""Re-audits started from the previous audit: answers carried to re-confirm, evidence carried
unless expired, the template's current version, the diff, and carried answers left out of
progress until confirmed (scores: tests/test_carried_answers_scores.py)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from checklists import selectors, services
from checklists.models import Checklist, ChecklistItem, ChecklistTemplateItem, EvidenceFile
from projects.models import Audit


@pytest.fixture
def first(project, tech_lead, deployment_template, media):
    """The first audit: a deployment checklist with three answers, evidence on two of them."""
    audit = Audit.objects.create(project=project, title="First", status=Audit.Status.COMPLETED)
    checklist = services.checklist_start(
        project=project, template=deployment_template, owner=tech_lead, audit=audit
    )
    items = list(checklist.items.order_by("order"))
    services.answer_item(
        items[0],
        user=tech_lead,
        state="done",
        note="Vault",
        evidence_url="https://ci.example/1",
        evidence_file=SimpleUploadedFile("secrets.pdf", b"%PDF-1.4 first"),
    )
    services.answer_item(items[1], user=tech_lead, state="na", note="No third-party API")
    services.answer_item(items[2], user=tech_lead, state="done", evidence_url="https://ci.example/3")
    ChecklistItem.objects.filter(pk=items[2].pk).update(
        evidence_expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    return checklist


def restarted(project, user):
    audit = services.start_audit_from_previous(project, user=user)
    return audit, Checklist.objects.get(audit=audit)


def test_answers_are_carried_to_reconfirm_with_their_evidence(first, project, tech_lead):
    old = list(first.items.order_by("order"))
    audit, checklist = restarted(project, tech_lead)
    assert (audit.project, audit.status, audit.auditor) == (project, Audit.Status.IN_PROGRESS, tech_lead)
    assert (checklist.previous, checklist.template_id, checklist.owner) == (
        first,
        first.template_id,
        tech_lead,
    )
    new = list(checklist.items.order_by("order"))
    assert len(new) == len(old)
    assert [(i.state, i.carried, i.carried_from_id) for i in new[:4]] == [
        ("done", True, old[0].pk),
        ("na", True, old[1].pk),
        ("done", True, old[2].pk),
        ("todo", False, old[3].pk),  # nothing to re-confirm in an open item
    ]
    assert (new[0].note, new[0].evidence_url) == ("Vault", "https://ci.example/1")
    carried_file = EvidenceFile.objects.get(item=new[0])
    original = EvidenceFile.objects.get(item=old[0])
    assert (
        carried_file.revision,
        carried_file.sha256,
        carried_file.file.name,
        carried_file.carried_from,
    ) == (
        1,
        original.sha256,
        original.file.name,
        original,
    )


def test_expired_evidence_stays_behind_and_the_note_says_so(first, project, tech_lead):
    _audit, checklist = restarted(project, tech_lead)
    item = checklist.items.order_by("order")[2]
    assert (item.state, item.carried, item.evidence_url) == ("done", True, "")
    assert "Evidence expired on" in item.note
    assert not EvidenceFile.objects.filter(item=item).exists()


def test_the_new_checklist_follows_the_current_template_and_the_diff_shows_it(
    first, project, tech_lead, deployment_template
):
    old_items = list(first.items.order_by("order"))
    ChecklistTemplateItem.objects.filter(template=deployment_template, text=old_items[3].text).delete()
    ChecklistTemplateItem.objects.create(
        template=deployment_template, order=999, section="Data", text="Backups encrypted"
    )
    services.template_bump_version(template_ids=[deployment_template.pk])
    deployment_template.refresh_from_db()

    _audit, checklist = restarted(project, tech_lead)
    assert checklist.template_version == deployment_template.version == first.template_version + 1
    texts = list(checklist.items.values_list("text", flat=True))
    assert "Backups encrypted" in texts and old_items[3].text not in texts

    items = list(checklist.items.order_by("order"))
    was_na = checklist.items.get(state="na")
    services.answer_item(was_na, user=tech_lead, state="done", note="We use a payment API now")
    diff = services.checklist_diff(checklist)
    assert [e.item.text for e in diff.new] == ["Backups encrypted"]
    assert [e.previous.text for e in diff.removed] == [old_items[3].text]
    assert [(e.item.pk, e.previous_state, e.state) for e in diff.changed] == [(was_na.pk, "na", "done")]
    assert diff.regressions == []
    assert len(diff.unchanged) == len(items) - 2
    assert sum(diff.counts().values()) == len(items) + 1


def test_a_regression_is_done_before_and_to_do_now(first, project, tech_lead):
    _audit, checklist = restarted(project, tech_lead)
    item = checklist.items.order_by("order")[0]
    services.answer_item(item, user=tech_lead, state="todo", note="Vault token leaked; rotating")
    diff = services.checklist_diff(checklist)
    assert [e.item.pk for e in diff.regressions] == [item.pk]
    assert (diff.regressions[0].previous_state, diff.regressions[0].state) == ("done", "todo")
    assert item.pk not in {e.item.pk for e in diff.changed + diff.unchanged}


def test_carried_answers_count_only_once_confirmed(first, project, tech_lead):
    _audit, checklist = restarted(project, tech_lead)
    progress = selectors.with_progress(Checklist.objects.filter(pk=checklist.pk)).get()
    assert (progress.done_count, progress.na_count, progress.carried_count) == (0, 0, 3)
    services.confirm_carried(checklist.items.order_by("order")[0], user=tech_lead)
    progress = selectors.with_progress(Checklist.objects.filter(pk=checklist.pk)).get()
    assert (progress.done_count, progress.carried_count) == (1, 2)


def test_without_a_previous_audit_nothing_is_created(project, tech_lead):
    with pytest.raises(ValidationError, match="no earlier audit with checklists"):
        services.start_audit_from_previous(project, user=tech_lead)
    assert not Audit.objects.exists()


def test_a_lead_of_another_project_may_not_start_it(first, project, other_tech_lead, manager):
    for user in (other_tech_lead, manager):
        with pytest.raises(PermissionDenied):
            services.start_audit_from_previous(project, user=user)
    assert Audit.objects.count() == 1


def test_the_queue_lists_carried_answers_to_reconfirm(first, project, tech_lead):
    _audit, checklist = restarted(project, tech_lead)
    carried = set(checklist.items.filter(carried=True).values_list("pk", flat=True))
    assert set(selectors.open_items_for(tech_lead, state="carried").values_list("pk", flat=True)) == carried
    with pytest.raises(ValidationError, match="re-confirming"):
        services.submit_for_review(checklist, user=tech_lead)
    services.bulk_answer(
        checklist.items.filter(carried=True, state="done"), user=tech_lead, state="done", note="Checked again"
    )
    services.confirm_carried(checklist.items.get(carried=True), user=tech_lead)
    services.submit_for_review(checklist, user=tech_lead)
