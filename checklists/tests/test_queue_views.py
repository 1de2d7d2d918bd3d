"""The queue pages without a browser: what each role sees and may post, the plain-form and
the script (fragment) answers, bulk, carried answers, the re-audit button and the diff, and
query counts that do not grow with the number of items."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem, ChecklistItemHistory, EvidenceFile, ReviewState
from projects.models import Audit

FETCH = {"X-Requested-With": "fetch"}


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def checklist(make_checklist, project, tech_lead):
    return make_checklist(project, owner=tech_lead, items=[("todo", False), ("todo", True), ("todo", False)])


@pytest.fixture
def other_checklist(make_checklist, other_project, other_tech_lead):
    return make_checklist(other_project, owner=other_tech_lead, items=[("todo", False)])


def test_the_queue_lists_only_the_leads_own_open_items_critical_first(checklist, other_checklist, tech_lead):
    response = client_for(tech_lead).get("/my/items/")
    assert response.status_code == 200
    listed = [item.text for item in response.context["items"]]
    assert listed == ["Item 2", "Item 1", "Item 3"]  # same due date: the critical one first
    assert f"/my/items/{other_checklist.items.get().pk}/answer/" not in response.content.decode()
    assert b'id="bulk-form"' in response.content


def test_the_queue_is_sorted_by_due_date_across_projects(make_checklist, project, tech_lead):
    later = make_checklist(project, owner=tech_lead, due_in_days=9, title="Later", items=[("todo", True)])
    sooner = make_checklist(project, owner=tech_lead, due_in_days=1, title="Sooner", items=[("todo", False)])
    items = client_for(tech_lead).get("/my/items/").context["items"]
    assert [item.checklist_id for item in items] == [sooner.pk, later.pk]


def test_filters_narrow_the_queue_and_a_bad_value_is_ignored(checklist, tech_lead, security):
    ChecklistItem.objects.filter(text="Item 3").update(domain=security)
    client = client_for(tech_lead)
    assert [i.text for i in client.get("/my/items/?critical=on").context["items"]] == ["Item 2"]
    assert [i.text for i in client.get(f"/my/items/?domain={security.pk}").context["items"]] == ["Item 3"]
    assert client.get("/my/items/?overdue=on").context["items"] == []
    response = client.get("/my/items/?project=999999&state=nonsense")
    assert response.status_code == 200
    assert len(response.context["items"]) == 3


def test_answering_by_plain_post_redirects_back_to_the_queue(checklist, tech_lead):
    item = checklist.items.get(text="Item 1")
    response = client_for(tech_lead).post(
        f"/my/items/{item.pk}/answer/",
        {
            "state": "done",
            "note": "Checked",
            "evidence_url": "https://ci.example.com/7",
            "next": "/my/items/?critical=on",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/my/items/?critical=on"
    item.refresh_from_db()
    assert (item.state, item.note, item.evidence_url, item.checked_by) == (
        "done",
        "Checked",
        "https://ci.example.com/7",
        tech_lead,
    )


def test_answering_from_the_script_returns_the_items_fragment(checklist, tech_lead):
    item = checklist.items.get(text="Item 1")
    response = client_for(tech_lead).post(f"/my/items/{item.pk}/answer/", {"state": "done"}, headers=FETCH)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<li class="q-item answered state-done')
    assert "<html" not in html


def test_not_applicable_without_a_note_is_refused_with_the_reason(checklist, tech_lead):
    item = checklist.items.get(text="Item 1")
    client = client_for(tech_lead)
    response = client.post(f"/my/items/{item.pk}/answer/", {"state": "na"}, headers=FETCH)
    assert response.status_code == 400
    assert "justification" in response.content.decode()
    plain = client.post(f"/my/items/{item.pk}/answer/", {"state": "na", "note": "  "})
    assert plain.status_code == 400
    assert "justification" in plain.content.decode()
    item.refresh_from_db()
    assert item.state == "todo"
    assert not ChecklistItemHistory.objects.filter(item=item).exists()


def test_a_bad_link_or_state_is_refused_and_nothing_changes(checklist, tech_lead):
    item = checklist.items.get(text="Item 1")
    client = client_for(tech_lead)
    assert (
        client.post(
            f"/my/items/{item.pk}/answer/", {"state": "done", "evidence_url": "not a url"}
        ).status_code
        == 400
    )
    assert client.post(f"/my/items/{item.pk}/answer/", {"state": "maybe"}).status_code == 400
    item.refresh_from_db()
    assert (item.state, item.evidence_url) == ("todo", "")


def test_an_evidence_file_is_stored_with_its_hash(checklist, tech_lead):
    item = checklist.items.get(text="Item 1")
    content = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    upload = SimpleUploadedFile("report.pdf", content, "application/pdf")
    response = client_for(tech_lead).post(
        f"/my/items/{item.pk}/answer/", {"state": "done", "evidence_file": upload}, headers=FETCH
    )
    assert response.status_code == 200, response.content.decode()[:400]
    stored = EvidenceFile.objects.get(item=item)
    assert (stored.revision, stored.size, stored.sha256) == (
        1,
        len(content),
        hashlib.sha256(content).hexdigest(),
    )
    page = client_for(tech_lead).get(f"/my/items/{item.pk}/")
    assert f'Revision 1: <a href="/checklists/evidence/{stored.pk}/">report.pdf</a>' in page.content.decode()


def test_another_projects_item_is_403_by_url_and_by_post(other_checklist, tech_lead):
    item = other_checklist.items.get()
    client = client_for(tech_lead)
    assert client.get(f"/my/items/{item.pk}/").status_code == 403
    assert client.post(f"/my/items/{item.pk}/answer/", {"state": "done"}).status_code == 403
    assert client.post(f"/my/items/{item.pk}/confirm/").status_code == 403
    assert client.post("/my/items/bulk/", {"items": [item.pk], "state": "done"}).status_code == 403
    item.refresh_from_db()
    assert item.state == "todo"


def test_a_bulk_mixing_own_and_other_items_changes_nothing(checklist, other_checklist, tech_lead):
    ids = [*checklist.items.values_list("pk", flat=True), other_checklist.items.get().pk]
    response = client_for(tech_lead).post("/my/items/bulk/", {"items": ids, "state": "done"})
    assert response.status_code == 403
    assert not ChecklistItem.objects.filter(pk__in=ids, state="done").exists()


def test_a_manager_reads_an_item_but_may_not_answer(checklist, manager, auditor_user):
    item = checklist.items.first()
    for user in (manager, auditor_user):
        client = client_for(user)
        page = client.get(f"/my/items/{item.pk}/")
        assert page.status_code == 200
        assert b"answer-form" not in page.content
        assert client.post(f"/my/items/{item.pk}/answer/", {"state": "done"}).status_code == 403
        assert client.post("/my/items/bulk/", {"items": [item.pk], "state": "done"}).status_code == 403
    item.refresh_from_db()
    assert item.state == "todo"


def test_bulk_marks_several_items_with_one_note_and_link(checklist, tech_lead):
    ids = list(checklist.items.filter(is_critical=False).values_list("pk", flat=True))
    response = client_for(tech_lead).post(
        "/my/items/bulk/",
        {
            "items": ids,
            "state": "na",
            "note": "No payments here",
            "evidence_url": "https://wiki.example.com/scope",
        },
    )
    assert response.status_code == 302
    rows = ChecklistItem.objects.filter(pk__in=ids)
    assert {(r.state, r.note, r.evidence_url) for r in rows} == {
        ("na", "No payments here", "https://wiki.example.com/scope")
    }


def test_bulk_not_applicable_without_a_note_changes_nothing_and_says_why(checklist, tech_lead):
    ids = list(checklist.items.values_list("pk", flat=True))
    response = client_for(tech_lead).post("/my/items/bulk/", {"items": ids, "state": "na"}, follow=True)
    assert "justification" in response.content.decode()
    assert not ChecklistItem.objects.filter(pk__in=ids).exclude(state="todo").exists()


def test_a_signed_off_checklist_is_read_only_in_the_queue(checklist, tech_lead):
    item = checklist.items.first()
    client = client_for(tech_lead)
    Checklist.objects.filter(pk=checklist.pk).update(
        review_state=ReviewState.SIGNED_OFF, submitted_at=timezone.now(), signed_off_at=timezone.now()
    )
    assert client.get("/my/items/").context["items"] == []
    page = client.get(f"/my/items/{item.pk}/")
    assert b"answer-form" not in page.content and b"signed off" in page.content
    response = client.post(f"/my/items/{item.pk}/answer/", {"state": "done"})
    assert response.status_code == 400
    item.refresh_from_db()
    assert item.state == "todo"


def test_the_queue_costs_the_same_queries_for_3_or_60_items(make_checklist, project, tech_lead):
    make_checklist(project, owner=tech_lead, items=[("todo", False)] * 3)
    client = client_for(tech_lead)
    client.get("/my/items/")  # warm the session and content types
    with CaptureQueriesContext(connection) as few:
        assert client.get("/my/items/").status_code == 200
    make_checklist(project, owner=tech_lead, items=[("todo", i % 3 == 0) for i in range(57)])
    with CaptureQueriesContext(connection) as many:
        response = client.get("/my/items/")
    assert len(response.context["items"]) == 60
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


# --- re-audit ---------------------------------------------------------------------------------


@pytest.fixture
def audited(project, tech_lead, make_checklist):
    """A completed audit whose checklist is answered: done, not applicable, to do."""
    audit = Audit.objects.create(project=project, title="First audit", status=Audit.Status.COMPLETED)
    checklist = make_checklist(
        project, owner=tech_lead, items=[("done", False), ("na", False), ("todo", True)]
    )
    checklist.audit = audit
    checklist.save()
    return checklist


def test_the_project_page_offers_the_next_audit_to_its_lead_not_to_a_manager(
    audited, project, tech_lead, manager
):
    url = f"/projects/{project.slug}/"
    assert b'id="start-next-audit"' in client_for(tech_lead).get(url).content
    assert b'id="start-next-audit"' not in client_for(manager).get(url).content
    assert client_for(manager).post(f"/projects/{project.slug}/next-audit/").status_code == 403


def test_starting_the_next_audit_carries_the_answers_and_the_queue_shows_them(audited, project, tech_lead):
    client = client_for(tech_lead)
    response = client.post(f"/projects/{project.slug}/next-audit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/my/items/?project={project.pk}"
    assert "2 answers carried" in response.content.decode()
    new_audit = Audit.objects.filter(project=project).exclude(pk=audited.audit_id).get()
    carried = ChecklistItem.objects.filter(checklist__audit=new_audit, carried=True)
    assert carried.count() == 2
    assert "carried, to re-confirm" in response.content.decode()

    item = carried.get(state="done")
    confirm = client.post(f"/my/items/{item.pk}/confirm/", headers=FETCH)
    assert confirm.status_code == 200
    item.refresh_from_db()
    assert (item.state, item.carried) == ("done", False)
    assert client.post(f"/my/items/{item.pk}/confirm/", headers=FETCH).status_code == 400  # nothing left

    diff = client.get(f"/checklists/{item.checklist_id}/changes/")
    assert diff.status_code == 200
    assert [len(e) for _k, _t, e in diff.context["sections"]] == [0, 0, 0, 0, 3]


def test_bulk_confirm_re_confirms_every_selected_carried_answer(audited, project, tech_lead):
    client = client_for(tech_lead)
    client.post(f"/projects/{project.slug}/next-audit/")
    carried = list(ChecklistItem.objects.filter(carried=True).values_list("pk", flat=True))
    todo = ChecklistItem.objects.filter(checklist__audit__title__startswith="Re-audit", carried=False).get()
    response = client.post("/my/items/bulk/", {"items": [*carried, todo.pk], "state": "confirm"}, follow=True)
    assert "2 items answered" in response.content.decode()
    assert not ChecklistItem.objects.filter(pk__in=carried, carried=True).exists()
    todo.refresh_from_db()
    assert todo.state == "todo"


def test_a_project_without_a_previous_audit_says_so(project, tech_lead):
    response = client_for(tech_lead).post(f"/projects/{project.slug}/next-audit/", follow=True)
    assert "no earlier audit" in response.content.decode()
    assert not Audit.objects.filter(project=project).exists()


def test_an_answer_from_evidence_shows_its_provenance_and_is_confirmed_in_one_click(checklist, tech_lead):
    item = checklist.items.get(text="Item 1")
    ChecklistItem.objects.filter(pk=item.pk).update(
        state="done",
        answer_source="evidence",
        evidence_rule="coverage_at_least",
        provenance={
            "rule": "coverage_at_least",
            "label": "Line coverage at or above the threshold",
            "summary": "Line coverage 91% ≥ 80%",
            "source": "re-scan of 2026-11-30",
            "evaluated_at": "2026-11-30T10:00:00+00:00",
        },
    )
    client = client_for(tech_lead)
    listed = client.get("/my/items/?state=evidence")
    assert [i.pk for i in listed.context["items"]] == [item.pk]
    html = listed.content.decode()
    assert "from evidence, to confirm" in html and "Line coverage 91% ≥ 80%" in html
    assert f'action="/my/items/{item.pk}/confirm/"' in html

    assert client.post(f"/my/items/{item.pk}/confirm/").status_code == 302
    item.refresh_from_db()
    assert (item.state, item.provenance_confirmed_by) == ("done", tech_lead)
    assert item.pk not in [i.pk for i in client.get("/my/items/").context["items"]]


def test_overriding_an_evidence_answer_needs_a_note(checklist, tech_lead):
    item = checklist.items.get(text="Item 1")
    ChecklistItem.objects.filter(pk=item.pk).update(
        state="done", answer_source="evidence", provenance={"rule": "tests_ran_in_ci", "summary": "42 tests"}
    )
    client = client_for(tech_lead)
    refused = client.post(f"/my/items/{item.pk}/answer/", {"state": "todo"}, headers=FETCH)
    assert refused.status_code == 400
    assert "needs a note" in refused.content.decode()
    item.refresh_from_db()
    assert (item.state, item.answer_source) == ("done", "evidence")
    accepted = client.post(
        f"/my/items/{item.pk}/answer/", {"state": "todo", "note": "CI skipped the slow suite"}, headers=FETCH
    )
    assert accepted.status_code == 200
    item.refresh_from_db()
    assert (item.state, item.answer_source, item.note) == ("todo", "person", "CI skipped the slow suite")
