"""Answering items through the services: one, in bulk (all or nothing), carried answers
re-confirmed, signed-off checklists refused, and the queue selector."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from checklists import selectors, services
from checklists.models import ChecklistItem, ChecklistItemHistory, EvidenceFile, ReviewState


@pytest.fixture
def checklist(make_checklist, project, tech_lead):
    return make_checklist(project, owner=tech_lead, items=[("todo", True), ("todo", False), ("todo", False)])


def test_answer_item_sets_state_note_and_link_and_records_history(checklist, tech_lead):
    item = checklist.items.first()
    services.answer_item(
        item, user=tech_lead, state="done", note="CI run 42", evidence_url="https://ci.example/42"
    )
    item.refresh_from_db()
    assert (item.state, item.note, item.evidence_url, item.checked_by) == (
        "done",
        "CI run 42",
        "https://ci.example/42",
        tech_lead,
    )
    (row,) = ChecklistItemHistory.objects.filter(item=item)
    assert (row.from_state, row.to_state, row.event, row.user) == ("todo", "done", "change", tech_lead)


def test_not_applicable_needs_a_note(checklist, tech_lead):
    item = checklist.items.first()
    with pytest.raises(ValidationError, match="justification"):
        services.answer_item(item, user=tech_lead, state="na")
    item.refresh_from_db()
    assert item.state == "todo"


def test_an_unknown_state_is_refused_with_its_name(checklist, tech_lead):
    with pytest.raises(ValidationError, match="'maybe'"):
        services.answer_item(checklist.items.first(), user=tech_lead, state="maybe")


def test_a_lead_of_another_project_may_not_answer(checklist, other_tech_lead):
    item = checklist.items.first()
    with pytest.raises(PermissionDenied):
        services.answer_item(item, user=other_tech_lead, state="done")
    item.refresh_from_db()
    assert item.state == "todo"


def test_a_manager_reads_but_may_not_answer(checklist, manager):
    with pytest.raises(PermissionDenied):
        services.answer_item(checklist.items.first(), user=manager, state="done")


def test_bulk_answer_writes_one_note_on_every_item(checklist, tech_lead):
    items = list(checklist.items.all())
    assert services.bulk_answer(items, user=tech_lead, state="na", note="No payments in this product") == 3
    assert set(ChecklistItem.objects.filter(checklist=checklist).values_list("state", "note")) == {
        ("na", "No payments in this product")
    }
    assert ChecklistItemHistory.objects.filter(item__checklist=checklist).count() == 3


def test_bulk_answer_is_refused_whole_when_one_item_is_not_allowed(
    checklist, make_checklist, other_project, tech_lead
):
    foreign = make_checklist(other_project).items.first()
    items = [*checklist.items.all(), foreign]
    with pytest.raises(PermissionDenied):
        services.bulk_answer(items, user=tech_lead, state="done", note="all good")
    assert not ChecklistItem.objects.exclude(state="todo").exists()
    assert not ChecklistItemHistory.objects.exists()


def test_bulk_answer_is_refused_whole_when_one_checklist_is_signed_off(
    checklist, make_checklist, project, tech_lead, admin
):
    other = make_checklist(project, owner=tech_lead)
    services.submit_for_review(other, user=tech_lead)
    services.sign_off(other, user=admin)
    items = [*checklist.items.all(), other.items.first()]
    with pytest.raises(ValidationError, match="signed off"):
        services.bulk_answer(items, user=tech_lead, state="done", note="ok")
    assert not ChecklistItem.objects.filter(state="done").exists()


def test_a_signed_off_checklist_refuses_single_answers_until_reopened(checklist, tech_lead, admin):
    item = checklist.items.first()
    services.submit_for_review(checklist, user=tech_lead)
    services.sign_off(checklist, user=admin)
    with pytest.raises(ValidationError, match="read-only"):
        services.answer_item(item, user=tech_lead, state="done")
    services.reopen(checklist, user=admin, reason="Auditor found a gap")
    services.answer_item(item, user=tech_lead, state="done")
    item.refresh_from_db()
    assert item.state == "done"


def test_answering_a_carried_item_again_reconfirms_it(checklist, tech_lead):
    item = checklist.items.first()
    ChecklistItem.objects.filter(pk=item.pk).update(state="done", carried=True, note="from last year")
    item.refresh_from_db()
    services.confirm_carried(item, user=tech_lead)
    item.refresh_from_db()
    assert (item.state, item.carried, item.note) == ("done", False, "from last year")
    (row,) = ChecklistItemHistory.objects.filter(item=item)
    assert (row.event, row.from_state, row.to_state) == ("reconfirm", "done", "done")


def test_confirm_carried_refuses_an_item_that_is_not_carried(checklist, tech_lead):
    with pytest.raises(ValidationError, match="not carried"):
        services.confirm_carried(checklist.items.first(), user=tech_lead)


def test_carried_answers_count_as_open_in_progress(checklist):
    ChecklistItem.objects.filter(checklist=checklist).update(state="done", carried=True)
    first = checklist.items.first()
    ChecklistItem.objects.filter(pk=first.pk).update(carried=False)
    row = selectors.with_progress(type(checklist).objects.filter(pk=checklist.pk)).get()
    assert (row.done_count, row.todo_count, row.carried_count, row.critical_open) == (1, 2, 2, 0)


def test_the_queue_lists_open_and_carried_items_of_my_projects_only(
    checklist, make_checklist, other_project, tech_lead
):
    make_checklist(other_project)  # someone else's
    items = list(checklist.items.order_by("order"))
    ChecklistItem.objects.filter(pk=items[1].pk).update(state="done")
    ChecklistItem.objects.filter(pk=items[2].pk).update(state="done", carried=True)
    queue = selectors.open_items_for(tech_lead)
    assert [i.pk for i in queue] == [items[0].pk, items[2].pk]  # the critical one first
    assert [i.pk for i in selectors.open_items_for(tech_lead, state="carried")] == [items[2].pk]
    assert [i.pk for i in selectors.open_items_for(tech_lead, critical=True)] == [items[0].pk]
    assert not selectors.open_items_for(tech_lead, overdue=True).exists()


def test_the_queue_sorts_by_due_date_then_critical(make_checklist, project, tech_lead):
    later = make_checklist(project, owner=tech_lead, due_in_days=10, items=[("todo", True)])
    sooner = make_checklist(project, owner=tech_lead, due_in_days=1, items=[("todo", False)])
    late = make_checklist(project, owner=tech_lead, due_in_days=-2, items=[("todo", False)])
    queue = list(selectors.open_items_for(tech_lead))
    assert [i.checklist_id for i in queue] == [late.pk, sooner.pk, later.pk]
    assert [bool(i.is_overdue) for i in queue] == [True, False, False]
    assert [i.checklist_id for i in selectors.open_items_for(tech_lead, order="critical")][0] == later.pk


def test_the_queue_costs_one_query(checklist, tech_lead, django_assert_num_queries):
    tech_lead.groups.all()  # role cache
    selectors.open_items_for(tech_lead)  # warms the user's role cache
    with django_assert_num_queries(1):
        rows = list(selectors.open_items_for(tech_lead))
        assert {r.checklist.project.name for r in rows} == {checklist.project.name}


def test_a_signed_off_checklist_leaves_the_queue(checklist, tech_lead, admin):
    services.submit_for_review(checklist, user=tech_lead)
    assert checklist.review_state == ReviewState.SUBMITTED
    services.sign_off(checklist, user=admin)
    assert not selectors.open_items_for(tech_lead).exists()


def test_bulk_answer_with_a_file_stores_it_once_with_one_revision_per_item(
    checklist, tech_lead, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("report.pdf", b"%PDF-1.4 evidence", content_type="application/pdf")
    services.bulk_answer(
        list(checklist.items.all()), user=tech_lead, state="done", note="ok", evidence_file=upload
    )
    rows = list(EvidenceFile.objects.all())
    assert len(rows) == 3
    assert {r.file.name for r in rows} == {rows[0].file.name}
    assert [p.name for p in (tmp_path / "checklist-evidence").iterdir()] == [rows[0].file.name.split("/")[-1]]


def test_an_answer_says_until_when_its_evidence_holds(checklist, tech_lead):
    import datetime as dt

    until = dt.date(2027, 6, 30)
    items = list(checklist.items.all())
    services.bulk_answer(items, user=tech_lead, state="done", note="Pen test", evidence_expires_on=until)
    assert set(
        ChecklistItem.objects.filter(checklist=checklist).values_list("evidence_expires_on", flat=True)
    ) == {until}
    services.answer_item(items[0], user=tech_lead, state="done")  # not given: kept
    items[0].refresh_from_db()
    assert items[0].evidence_expires_on == until
