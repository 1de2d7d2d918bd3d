"""The checklist changelist: progress, critical items open, overdue flag, filters, actions."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from checklists.models import Checklist
from checklists.selectors import is_complete, progress_percent, with_progress

CHANGELIST = "admin:checklists_checklist_changelist"


def rows(response):
    return {c.title: c for c in response.context["cl"].result_list}


def test_progress_counts_done_over_applicable_items(make_checklist, project):
    checklist = make_checklist(
        project, items=[("done", False), ("done", False), ("na", False), ("todo", False)]
    )
    annotated = with_progress(Checklist.objects.filter(pk=checklist.pk)).get()
    assert (annotated.done_count, annotated.item_count - annotated.na_count) == (2, 3)
    assert progress_percent(done=2, applicable=3) == 66


def test_a_critical_item_still_to_do_keeps_a_checklist_incomplete_whatever_its_percentage(
    make_checklist, project
):
    items = [("done", False)] * 199 + [("todo", True)]
    checklist = make_checklist(project, items=items)
    annotated = with_progress(Checklist.objects.filter(pk=checklist.pk)).get()
    assert progress_percent(done=annotated.done_count, applicable=200) == 99
    assert annotated.critical_open == 1
    assert not is_complete(todo_count=annotated.todo_count, critical_open=annotated.critical_open)
    assert is_complete(todo_count=0, critical_open=0)
    assert not is_complete(todo_count=0, critical_open=1)


def test_the_changelist_shows_progress_critical_open_and_overdue(client, admin, project, make_checklist):
    make_checklist(project, title="Late", due_in_days=-2, items=[("todo", True), ("done", False)])
    make_checklist(project, title="Finished late", due_in_days=-2, items=[("done", True)])
    make_checklist(project, title="Soon", due_in_days=3, items=[("todo", False)])
    client.force_login(admin)

    response = client.get(reverse(CHANGELIST))

    shown = rows(response)
    model_admin = response.context["cl"].model_admin
    assert model_admin.is_overdue(shown["Late"]) is True
    assert model_admin.is_overdue(shown["Finished late"]) is False
    assert model_admin.is_overdue(shown["Soon"]) is False
    assert shown["Late"].critical_open == 1
    assert model_admin.complete(shown["Finished late"]) is True
    html = response.content.decode()
    assert "1 / 2" in html  # progress bar label of "Late"


def test_the_overdue_filter_keeps_late_checklists_with_open_items(client, admin, project, make_checklist):
    make_checklist(project, title="Late", due_in_days=-1)
    make_checklist(project, title="Late but done", due_in_days=-1, items=[("done", False)])
    make_checklist(project, title="Later", due_in_days=5)
    client.force_login(admin)
    response = client.get(reverse(CHANGELIST), {"due": "overdue"})
    assert set(rows(response)) == {"Late"}


def test_filters_by_owner_project_and_template(
    client, admin, project, other_project, tech_lead, make_checklist, deployment_template
):
    from checklists.services import checklist_start

    make_checklist(project, title="Mine", owner=tech_lead)
    make_checklist(other_project, title="Theirs")
    checklist_start(project=other_project, template=deployment_template, title="From template")
    client.force_login(admin)
    url = reverse(CHANGELIST)
    assert set(rows(client.get(url, {"owner__id__exact": tech_lead.pk}))) == {"Mine"}
    assert set(rows(client.get(url, {"project__id__exact": other_project.pk}))) == {"Theirs", "From template"}
    assert set(rows(client.get(url, {"template__id__exact": deployment_template.pk}))) == {"From template"}


def test_the_changelist_query_count_does_not_grow_with_checklists(
    client, admin, project, make_checklist, django_assert_max_num_queries
):
    client.force_login(admin)
    make_checklist(project, title="one")
    with django_assert_max_num_queries(20) as few:
        client.get(reverse(CHANGELIST))
    for i in range(30):
        make_checklist(project, title=f"c{i}", items=[("todo", True), ("done", False)] * 3)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse(CHANGELIST))
    assert len(response.context["cl"].result_list) == 31


def test_a_tech_lead_lists_only_checklists_of_their_projects(
    client, tech_lead, project, other_project, make_checklist
):
    make_checklist(project, title="Mine")
    make_checklist(other_project, title="Theirs")
    client.force_login(tech_lead)
    assert set(rows(client.get(reverse(CHANGELIST)))) == {"Mine"}


def test_the_reassign_action_asks_for_an_owner_then_reassigns(
    client, tech_lead, other_tech_lead, project, make_checklist
):
    a = make_checklist(project, title="a", owner=tech_lead)
    b = make_checklist(project, title="b", owner=tech_lead)
    client.force_login(tech_lead)
    url = reverse(CHANGELIST)
    selection = {"action": "reassign", "_selected_action": [a.pk, b.pk]}

    page = client.post(url, selection)
    assert page.status_code == 200 and "New owner" in page.content.decode()

    response = client.post(url, {**selection, "apply": "1", "owner": other_tech_lead.pk})

    assert response.status_code == 302
    assert set(Checklist.objects.values_list("owner__username", flat=True)) == {"otherlead"}


def test_the_extend_action_pushes_due_dates_back(client, tech_lead, project, make_checklist):
    dated = make_checklist(project, title="dated", due_in_days=-3)
    undated = make_checklist(project, title="undated", due_in_days=None)
    client.force_login(tech_lead)

    client.post(
        reverse(CHANGELIST),
        {
            "action": "extend_due_dates",
            "apply": "1",
            "days": "10",
            "_selected_action": [dated.pk, undated.pk],
        },
    )

    today = timezone.localdate()
    dated.refresh_from_db()
    undated.refresh_from_db()
    assert dated.due_date == today + dt.timedelta(days=7)
    assert undated.due_date == today + dt.timedelta(days=10)


def test_the_extend_action_refuses_a_non_positive_extension(client, tech_lead, project, make_checklist):
    checklist = make_checklist(project, due_in_days=1)
    client.force_login(tech_lead)
    page = client.post(
        reverse(CHANGELIST),
        {"action": "extend_due_dates", "apply": "1", "days": "0", "_selected_action": [checklist.pk]},
    )
    assert page.status_code == 200 and page.context["form"].errors
    checklist.refresh_from_db()
    assert checklist.due_date == timezone.localdate() + dt.timedelta(days=1)


def test_a_manager_cannot_use_the_reassign_action(client, manager, project, make_checklist):
    checklist = make_checklist(project)
    client.force_login(manager)
    response = client.post(
        reverse(CHANGELIST),
        {"action": "reassign", "apply": "1", "owner": manager.pk, "_selected_action": [checklist.pk]},
    )
    assert response.status_code in (200, 302)
    checklist.refresh_from_db()
    assert checklist.owner is None


def test_the_due_column_shows_an_alert_for_overdue_and_a_tick_for_on_time(
    client, admin, project, make_checklist
):
    """The icons as rendered: a boolean column once showed a green tick for "overdue: yes"."""
    make_checklist(project, title="Late", due_in_days=-2, items=[("todo", False)])
    make_checklist(project, title="Soon", due_in_days=3, items=[("todo", False)])
    client.force_login(admin)
    html = client.get(reverse(CHANGELIST)).content.decode()
    rows_html = {
        title: html.split(f">{title}</a>", 1)[1]
        .split('class="field-overdue_display">', 1)[1]
        .split("</td>", 1)[0]
        for title in ("Late", "Soon")
    }
    assert "icon-alert.svg" in rows_html["Late"] and "overdue by 2 day(s)" in rows_html["Late"]
    assert "icon-yes.svg" not in rows_html["Late"]
    assert "icon-yes.svg" in rows_html["Soon"] and "on time" in rows_html["Soon"]
    assert "icon-alert.svg" not in rows_html["Soon"] and "icon-no.svg" not in rows_html["Soon"]
