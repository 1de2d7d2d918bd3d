"""Checklist admin pages read a number of queries that does not grow with their rows."""

from django.urls import reverse

from checklists.models import ChecklistTemplate, ChecklistTemplateItem
from checklists.services import checklist_item_set_state


def count_queries(client, url, django_assert_max_num_queries, limit=40):
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_checklist_change_page_with_history_is_constant_in_items(
    client, tech_lead, project, make_checklist, django_assert_max_num_queries, security
):
    client.force_login(tech_lead)
    small = make_checklist(project, owner=tech_lead, items=[("todo", False)] * 3)
    large = make_checklist(project, owner=tech_lead, items=[("todo", True)] * 40)
    for checklist in (small, large):
        checklist.items.update(domain=security)
        for item in checklist.items.all()[:3]:
            checklist_item_set_state(item=item, state="done", user=tech_lead, note="ok")
    url = "admin:checklists_checklist_change"
    few = count_queries(client, reverse(url, args=[small.pk]), django_assert_max_num_queries)
    many = count_queries(client, reverse(url, args=[large.pk]), django_assert_max_num_queries)
    assert many == few


def test_the_template_pages_are_constant_in_items(client, admin, django_assert_max_num_queries):
    client.force_login(admin)
    changelist = reverse("admin:checklists_checklisttemplate_changelist")
    items = reverse("admin:checklists_checklisttemplateitem_changelist")
    before = [
        count_queries(client, changelist, django_assert_max_num_queries),
        count_queries(client, items, django_assert_max_num_queries),
    ]
    template = ChecklistTemplate.objects.get(slug="deployment")
    ChecklistTemplateItem.objects.bulk_create(
        ChecklistTemplateItem(template=template, order=1000 + i, text=f"Extra {i}") for i in range(60)
    )
    ChecklistTemplate.objects.create(name="Another", slug="another")
    after = [
        count_queries(client, changelist, django_assert_max_num_queries),
        count_queries(client, items, django_assert_max_num_queries),
    ]
    assert after == before
    shipped = ChecklistTemplate.objects.get(slug="security-review")
    client.get(reverse("admin:checklists_checklisttemplate_change", args=[shipped.pk]))  # warm-up
    small = count_queries(
        client,
        reverse("admin:checklists_checklisttemplate_change", args=[shipped.pk]),
        django_assert_max_num_queries,
    )
    large = count_queries(
        client,
        reverse("admin:checklists_checklisttemplate_change", args=[template.pk]),
        django_assert_max_num_queries,
    )
    assert large == small


def test_the_start_page_is_constant_in_projects(
    client, admin, project, other_project, django_assert_max_num_queries
):
    from projects.models import Project

    client.force_login(admin)
    url = reverse("admin:checklists_checklist_start")
    few = count_queries(client, url, django_assert_max_num_queries)
    Project.objects.bulk_create(Project(name=f"P{i}", slug=f"p{i}") for i in range(30))
    assert count_queries(client, url, django_assert_max_num_queries) == few
