"""The review in the admin: submit, sign-off refused to the submitter (by the page and by a
hand-made POST), read-only once signed off, reopen with a reason; the bulk answer action on
items; "Start the next audit from the previous one" on projects; constant query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from checklists import services
from checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistItemHistory,
    ChecklistReviewEvent,
    EvidenceFile,
)
from projects.models import Audit


def review_url(checklist):
    return reverse("admin:checklists_checklist_review", args=[checklist.pk])


@pytest.fixture
def checklist(make_checklist, project, tech_lead):
    return make_checklist(project, owner=tech_lead, items=[("done", False), ("done", True)])


@pytest.fixture
def submitted(checklist, tech_lead, client):
    client.force_login(tech_lead)
    response = client.post(review_url(checklist), {"action": "submit"})
    assert response.status_code == 302
    checklist.refresh_from_db()
    assert (checklist.review_state, checklist.submitted_by) == ("submitted", tech_lead)
    return checklist


def test_the_submitter_is_not_offered_sign_off_and_a_post_is_refused(submitted, client, tech_lead):
    page = client.get(review_url(submitted)).content.decode()
    assert 'value="sign_off"' not in page
    assert "another reviewer must sign it off" in page
    response = client.post(review_url(submitted), {"action": "sign_off"})
    assert response.status_code == 400
    assert "four eyes" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.review_state == "submitted" and submitted.signed_off_by is None


def test_another_reviewer_signs_off(submitted, client, auditor_user):
    client.force_login(auditor_user)
    assert 'value="sign_off"' in client.get(review_url(submitted)).content.decode()
    assert client.post(review_url(submitted), {"action": "sign_off"}).status_code == 302
    submitted.refresh_from_db()
    assert (submitted.review_state, submitted.signed_off_by) == ("signed_off", auditor_user)
    assert list(submitted.review_events.values_list("action", flat=True)) == ["sign_off", "submit"]


def test_a_manager_may_not_sign_off(submitted, client, manager):
    client.force_login(manager)
    assert client.post(review_url(submitted), {"action": "sign_off"}).status_code == 403


def test_the_database_refuses_a_sign_off_by_the_submitter(submitted, tech_lead):
    with pytest.raises(IntegrityError), transaction.atomic():
        Checklist.objects.filter(pk=submitted.pk).update(review_state="signed_off", signed_off_by=tech_lead)


def test_a_signed_off_checklist_is_read_only_in_the_admin_until_reopened(
    submitted, client, auditor_user, tech_lead
):
    services.sign_off(submitted, user=auditor_user)
    change = reverse("admin:checklists_checklist_change", args=[submitted.pk])
    page = client.get(change).content.decode()
    assert 'name="_save"' not in page
    assert client.post(change, {}).status_code == 403

    client.force_login(auditor_user)
    assert client.post(review_url(submitted), {"action": "reopen", "reason": " "}).status_code == 400
    assert client.post(review_url(submitted), {"action": "reopen", "reason": "Gap found"}).status_code == 302
    event = ChecklistReviewEvent.objects.get(checklist=submitted, action="reopen")
    assert (event.user, event.reason) == (auditor_user, "Gap found")
    client.force_login(tech_lead)
    assert 'name="_save"' in client.get(change).content.decode()


def test_the_review_actions_of_the_changelist(checklist, client, tech_lead, auditor_user):
    changelist = reverse("admin:checklists_checklist_changelist")
    client.force_login(tech_lead)
    client.post(changelist, {"action": "submit_for_review_selected", "_selected_action": [checklist.pk]})
    client.post(changelist, {"action": "sign_off_selected", "_selected_action": [checklist.pk]})
    checklist.refresh_from_db()
    assert checklist.review_state == "submitted"  # the submitter's own sign-off was refused
    client.force_login(auditor_user)
    client.post(changelist, {"action": "sign_off_selected", "_selected_action": [checklist.pk]})
    checklist.refresh_from_db()
    assert checklist.review_state == "signed_off"
    client.post(
        changelist,
        {"action": "reopen_selected", "_selected_action": [checklist.pk], "apply": "1", "reason": "Redo"},
    )
    checklist.refresh_from_db()
    assert checklist.review_state == "open"


def test_the_bulk_answer_action_answers_with_one_note_and_one_file(
    make_checklist, project, tech_lead, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    checklist = make_checklist(project, owner=tech_lead, items=[("todo", False)] * 3)
    ids = list(checklist.items.values_list("pk", flat=True))
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklistitem_changelist")
    page = client.post(url, {"action": "answer_selected", "_selected_action": ids})
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.content.decode()
    response = client.post(
        url,
        {
            "action": "answer_selected",
            "_selected_action": ids,
            "apply": "1",
            "state": "na",
            "note": "No such feature",
            "evidence_file": SimpleUploadedFile("scope.txt", b"out of scope"),
        },
    )
    assert response.status_code == 302
    assert set(ChecklistItem.objects.filter(pk__in=ids).values_list("state", "note")) == {
        ("na", "No such feature")
    }
    assert EvidenceFile.objects.filter(item_id__in=ids).count() == 3


def test_the_bulk_answer_action_needs_a_note_for_not_applicable(make_checklist, project, tech_lead, client):
    checklist = make_checklist(project, owner=tech_lead)
    ids = list(checklist.items.values_list("pk", flat=True))
    client.force_login(tech_lead)
    response = client.post(
        reverse("admin:checklists_checklistitem_changelist"),
        {"action": "answer_selected", "_selected_action": ids, "apply": "1", "state": "na", "note": ""},
    )
    assert response.status_code == 200 and "justification" in response.content.decode()
    assert not ChecklistItem.objects.filter(pk__in=ids, state="na").exists()


def test_the_project_action_starts_the_next_audit_from_the_previous_one(
    project, tech_lead, client, deployment_template
):
    audit = Audit.objects.create(project=project, title="First")
    services.checklist_start(project=project, template=deployment_template, owner=tech_lead, audit=audit)
    client.force_login(tech_lead)
    response = client.post(
        reverse("admin:projects_project_changelist"),
        {"action": "start_audit_from_previous", "_selected_action": [project.pk]},
    )
    assert response.status_code == 302
    new = Audit.objects.exclude(pk=audit.pk).get()
    assert response["Location"] == reverse("admin:projects_audit_change", args=[new.pk])
    assert Checklist.objects.get(audit=new).previous.audit == audit


def test_the_item_pages_are_constant_in_rows(
    make_checklist, project, tech_lead, client, django_assert_max_num_queries, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(tech_lead)
    small = make_checklist(project, owner=tech_lead, items=[("todo", False)] * 2)
    services.evidence_file_add(
        item=small.items.first(), upload=SimpleUploadedFile("a.txt", b"a"), user=tech_lead
    )
    pages = [
        reverse("admin:checklists_checklistitem_changelist"),
        reverse("admin:checklists_evidencefile_changelist"),
        reverse("admin:checklists_checklistreviewevent_changelist"),
        reverse("admin:checklists_checklist_change", args=[small.pk]),
        review_url(small),
    ]

    def counts():
        result = []
        for url in pages:
            with django_assert_max_num_queries(40) as captured:
                assert client.get(url).status_code == 200, url
            result.append(len(captured.captured_queries))
        return result

    services.submit_for_review(small, user=tech_lead)
    services.reopen(small, user=tech_lead, reason="more")
    before = counts()
    more = make_checklist(project, owner=tech_lead, items=[("todo", True)] * 30)
    for item in list(small.items.all()) + list(more.items.all()[:10]):
        services.evidence_file_add(item=item, upload=SimpleUploadedFile("b.txt", b"b"), user=tech_lead)
    for _ in range(5):
        services.submit_for_review(small, user=tech_lead)
        services.reopen(small, user=tech_lead, reason="again")
    assert counts() == before


def test_the_items_inline_attaches_a_file_as_a_new_revision(
    make_checklist, project, tech_lead, client, settings, tmp_path
):
    from auditor.testing import admin_form_data

    settings.MEDIA_ROOT = tmp_path
    checklist = make_checklist(project, owner=tech_lead, items=[("todo", False)])
    item = checklist.items.get()
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_change", args=[checklist.pk])
    page = client.get(url)
    assert 'enctype="multipart/form-data"' in page.content.decode()
    data = admin_form_data(page)
    prefix = next(k[: -len("-id")] for k, v in data.items() if k.endswith("-id") and v == str(item.pk))
    data[f"{prefix}-state"] = "done"

    refused = client.post(url, {**data, f"{prefix}-evidence_file": SimpleUploadedFile("x.pdf", b"<html>")})
    assert refused.status_code == 200 and "HTML and SVG" in refused.content.decode()
    item.refresh_from_db()
    assert item.state == "todo" and not EvidenceFile.objects.exists()

    for content in (b"%PDF-1.4 one", b"%PDF-1.4 two"):
        response = client.post(url, {**data, f"{prefix}-evidence_file": SimpleUploadedFile("r.pdf", content)})
        assert response.status_code == 302
    assert list(
        EvidenceFile.objects.filter(item=item).order_by("revision").values_list("revision", "size")
    ) == [
        (1, 12),
        (2, 12),
    ]
    assert "rev. 2" in client.get(url).content.decode()


def test_an_admin_deletes_an_answered_checklist_with_its_records(checklist, tech_lead, admin, client, media):
    item = checklist.items.first()
    services.answer_item(item, user=tech_lead, state="todo", evidence_file=SimpleUploadedFile("a.txt", b"a"))
    services.submit_for_review(checklist, user=tech_lead)
    client.force_login(admin)
    url = reverse("admin:checklists_checklist_delete", args=[checklist.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not (
        ChecklistItem.objects.exists()
        or EvidenceFile.objects.exists()
        or ChecklistReviewEvent.objects.exists()
    )


def test_the_confirm_action_reconfirms_carried_answers_only(make_checklist, project, tech_lead, client):
    checklist = make_checklist(
        project, owner=tech_lead, items=[("done", False), ("na", False), ("todo", False)]
    )
    done, na, todo = checklist.items.order_by("order")
    ChecklistItem.objects.filter(pk__in=[done.pk, na.pk]).update(carried=True)
    client.force_login(tech_lead)
    response = client.post(
        reverse("admin:checklists_checklistitem_changelist"),
        {"action": "confirm_selected", "_selected_action": [done.pk, na.pk, todo.pk]},
    )
    assert response.status_code == 302
    assert not ChecklistItem.objects.filter(carried=True).exists()
    assert list(ChecklistItem.objects.order_by("order").values_list("state", flat=True)) == [
        "done",
        "na",
        "todo",
    ]
    assert ChecklistItemHistory.objects.filter(event="reconfirm").count() == 2
