"""The "Re-scan now" admin action, the project page button, and schedule validation in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from auditor.testing import admin_form_data
from conftest import PASSWORD
from projects import schedule
from projects.models import Audit, Project
from rescans import services as service

CHANGELIST = reverse("admin:projects_project_changelist")


@pytest.fixture
def projects(tech_lead):
    return [
        Project.objects.create(
            name=f"Repo {i}",
            slug=f"repo-{i}",
            tech_lead=tech_lead,
            repository_url=f"https://git.example.com/r{i}.git",
        )
        for i in range(5)
    ]


def test_rescan_now_queues_one_scan_per_selected_project_without_n_plus_one(
    client, admin, projects, django_assert_max_num_queries
):
    client.force_login(admin)
    already = service.project_rescan_request(project_id=projects[0].pk, enqueue=False)
    # Per project: lock its row, look for a running scan, insert the audit and its run
    # (savepoint around).
    with django_assert_max_num_queries(12 + 6 * len(projects)):
        response = client.post(
            CHANGELIST, {"action": "rescan_now", "_selected_action": [p.pk for p in projects]}
        )
    assert response.status_code == 302
    response = client.get(CHANGELIST)
    texts = [str(m) for m in response.context["messages"]]
    assert "Re-scan queued for 4 project(s)" in texts[0]
    assert "Already scanning (not started again): Repo 0" in texts[1]
    assert Audit.objects.filter(kind=Audit.Kind.AUTOMATED).count() == 5
    assert list(Audit.objects.filter(project=projects[0]).values_list("pk", flat=True)) == [already.pk]
    assert Audit.objects.filter(project=projects[1]).get().rescan_run.requested_by == "root"


def test_a_manager_does_not_get_the_rescan_action(client, manager, projects):
    client.force_login(manager)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert "rescan_now" not in response.content.decode()


def test_the_admin_refuses_a_bad_schedule_repository_or_scanner_and_arms_the_next_scan(
    client, admin, project
):
    client.force_login(admin)
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = admin_form_data(client.get(url))
    bad = {
        **data,
        "scan_schedule": "every day",
        "repository_url": "ext::sh%20-c%20id",
        "branch": "--upload-pack=x",
        "enabled_scanners": '["bandit", "gitleaks"]',
    }
    response = client.post(url, bad)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "neither a 5-field cron" in errors["scan_schedule"][0]
    assert "remote helpers" in errors["repository_url"][0]
    assert "not a valid git branch name" in errors["branch"][0]
    assert "Unknown scanner(s): gitleaks" in errors["enabled_scanners"][0]

    good = {
        **data,
        "scan_schedule": "0 2 * * *",
        "repository_url": "https://git.example.com/r.git",
        "branch": "main",
        "enabled_scanners": '["bandit"]',
    }
    assert client.post(url, good).status_code == 302
    project.refresh_from_db()
    assert project.next_scan_at is not None
    # 02:00 plus the project's own offset (jitter), less than SCAN_JITTER_SECONDS.
    offset = schedule.jitter("0 2 * * *", project.pk, project.next_scan_at)
    assert dt.timedelta(0) <= offset < dt.timedelta(seconds=settings.SCAN_JITTER_SECONDS)
    assert (project.next_scan_at - offset).strftime("%H:%M:%S") == "02:00:00"

    off = admin_form_data(client.get(url)) | {"scan_schedule": ""}
    assert client.post(url, off).status_code == 302
    project.refresh_from_db()
    assert project.next_scan_at is None


def test_the_project_page_button_queues_a_scan_once(client, tech_lead, project):
    project.repository_url = "https://git.example.com/r.git"
    project.save()
    client.login(username="lead", password=PASSWORD)
    url = reverse("project-rescan", args=[project.slug])

    first = client.post(url)
    assert first.status_code == 302 and first.url == reverse("project-detail", args=[project.slug])
    second = client.post(url, follow=True)

    messages = [str(m) for m in second.context["messages"]]
    assert "Re-scan queued" in messages[0]
    assert "already running; it was not started again" in messages[-1]
    assert Audit.objects.filter(project=project, kind=Audit.Kind.AUTOMATED).count() == 1
    assert client.get(url).status_code == 405


def test_the_project_page_button_is_forbidden_to_managers_and_other_tech_leads(
    client, manager, other_tech_lead, project
):
    project.repository_url = "https://git.example.com/r.git"
    project.save()
    url = reverse("project-rescan", args=[project.slug])
    for username in ("manager", "otherlead"):
        client.login(username=username, password=PASSWORD)
        assert client.post(url).status_code == 403
    assert not Audit.objects.filter(project=project).exists()


def test_the_project_list_and_form_show_a_running_scan_without_a_query_per_row(
    client, admin, projects, django_assert_max_num_queries
):
    client.force_login(admin)
    service.project_rescan_request(project_id=projects[2].pk, enqueue=False)
    with django_assert_max_num_queries(15):
        response = client.get(CHANGELIST)
    rows = {
        p.name: "running" in row
        for p in projects
        for row in response.content.decode().split("<tr")
        if f">{p.name}<" in row
    }
    assert rows == {"Repo 0": False, "Repo 1": False, "Repo 2": True, "Repo 3": False, "Repo 4": False}

    page = client.get(reverse("admin:projects_project_change", args=[projects[2].pk])).content.decode()
    assert "queued (audit #" in page and "a second one will not start" in page
