"""Starting a checklist from a template: the service, the admin view and the project action."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from checklists.models import Checklist, ChecklistTemplateItem
from checklists.services import checklist_start


def test_starting_a_checklist_copies_every_item_of_the_template(project, tech_lead, deployment_template):
    due = timezone.localdate() + dt.timedelta(days=10)

    checklist = checklist_start(project=project, template=deployment_template, owner=tech_lead, due_date=due)

    source = list(
        deployment_template.items.order_by("order").values_list(
            "order", "section", "text", "guidance", "is_critical", "domain_id"
        )
    )
    copied = list(
        checklist.items.order_by("order").values_list(
            "order", "section", "text", "guidance", "is_critical", "domain_id"
        )
    )
    assert copied == source and len(copied) > 10
    assert set(checklist.items.values_list("state", flat=True)) == {"todo"}
    assert checklist.title == "Deployment"
    assert (checklist.owner, checklist.due_date, checklist.template_version) == (tech_lead, due, 1)


def test_editing_the_template_later_never_changes_a_started_checklist(project, deployment_template):
    checklist = checklist_start(project=project, template=deployment_template)
    first = deployment_template.items.order_by("order").first()
    first.text = "Rewritten"
    first.save()
    ChecklistTemplateItem.objects.create(template=deployment_template, order=999, text="Brand new")

    texts = list(checklist.items.values_list("text", flat=True))
    assert "Rewritten" not in texts and "Brand new" not in texts


def test_an_audit_of_another_project_is_refused(project, other_project, deployment_template):
    from projects.models import Audit

    foreign = Audit.objects.create(project=other_project, title="Theirs")
    with pytest.raises(ValidationError, match="another project"):
        checklist_start(project=project, template=deployment_template, audit=foreign)
    assert not Checklist.objects.exists()


def test_the_start_page_creates_the_checklist_and_opens_it(client, tech_lead, project, deployment_template):
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_start")
    page = client.get(url, {"project": project.pk})
    assert page.status_code == 200
    assert page.context["form"].initial["owner"] == tech_lead.pk

    due = timezone.localdate() + dt.timedelta(days=5)
    response = client.post(
        url,
        {
            "projects": [project.pk],
            "template": deployment_template.pk,
            "owner": tech_lead.pk,
            "due_date": due.isoformat(),
            "title": "",
        },
    )

    checklist = Checklist.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:checklists_checklist_change", args=[checklist.pk])
    assert (checklist.project, checklist.owner, checklist.due_date) == (project, tech_lead, due)
    assert checklist.items.count() == deployment_template.items.count()


def test_a_tech_lead_cannot_start_a_checklist_on_another_project(
    client, tech_lead, other_project, deployment_template
):
    client.force_login(tech_lead)
    url = reverse("admin:checklists_checklist_start")
    assert client.get(url, {"project": other_project.pk}).status_code == 403

    response = client.post(url, {"projects": [other_project.pk], "template": deployment_template.pk})

    assert response.status_code == 200
    assert "projects" in response.context["form"].errors
    assert not Checklist.objects.exists()


def test_a_manager_may_not_start_checklists(client, manager, project):
    client.force_login(manager)
    assert client.get(reverse("admin:checklists_checklist_start")).status_code == 403


def test_the_project_action_starts_one_checklist_per_selected_project(
    client, admin, project, other_project, deployment_template
):
    client.force_login(admin)
    response = client.post(
        reverse("admin:projects_project_changelist"),
        {
            "action": "start_checklist_for_projects",
            "_selected_action": [project.pk, other_project.pk],
        },
    )
    assert response.status_code == 302
    start_url = response["Location"]
    assert start_url.startswith(reverse("admin:checklists_checklist_start"))
    page = client.get(start_url)
    assert sorted(int(p) for p in page.context["form"].initial["projects"]) == sorted(
        [project.pk, other_project.pk]
    )

    client.post(
        reverse("admin:checklists_checklist_start"),
        {
            "projects": [project.pk, other_project.pk],
            "template": deployment_template.pk,
        },
    )

    owners = dict(Checklist.objects.values_list("project__slug", "owner__username"))
    assert owners == {"champion-clone": "lead", "aetherflow": "otherlead"}


def test_the_checklist_list_and_the_template_page_link_to_the_start_page(
    client, tech_lead, deployment_template
):
    client.force_login(tech_lead)
    start = reverse("admin:checklists_checklist_start")
    assert start in client.get(reverse("admin:checklists_checklist_changelist")).content.decode()
    page = client.get(reverse("admin:checklists_checklisttemplate_change", args=[deployment_template.pk]))
    assert f"{start}?template={deployment_template.pk}" in page.content.decode()
    form = client.get(start, {"template": deployment_template.pk}).context["form"]
    assert str(form.initial["template"]) == str(deployment_template.pk)
