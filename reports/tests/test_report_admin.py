"""Admin upload form for reports: object tool on the Audit changelist, preview, confirm."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from checklists.models import ChecklistItem
from conftest import make_user
from projects.models import Audit, Project

REPORTS = Path(__file__).parent / "samples"
URL = "/admin/projects/audit/import-report/"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (REPORTS / name).read_bytes(), content_type="text/markdown")


def preview(client, name: str, **data):
    return client.post(URL, {"report": upload(name), "_preview": "Preview", **data})


def test_the_audit_changelist_links_to_the_import_form_for_those_who_may_add_audits(
    client, auditor_user, manager
):
    client.force_login(auditor_user)
    assert reverse("admin:projects_audit_import_report") == URL
    assert f'href="{URL}"' in client.get("/admin/projects/audit/").content.decode()
    client.force_login(manager)
    assert URL not in client.get("/admin/projects/audit/").content.decode()


@pytest.mark.parametrize("role", ["manager", "tech_lead"])
def test_roles_that_cannot_add_audits_are_refused(db, client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(URL).status_code == 403


def test_the_preview_shows_what_would_be_imported_and_writes_nothing(
    client, auditor_user, other_project, django_assert_max_num_queries
):
    client.force_login(auditor_user)
    with django_assert_max_num_queries(20):
        response = preview(client, "003_1458062adef007ce.txt", project=other_project.pk)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Preview of 003_1458062adef007ce.txt" in page
    assert "Ready with reservations" in page
    assert "Sécurité: 5/10" in page
    assert "Checklists (44 items)" in page
    assert "Repaired the encoding: the report was UTF-8 read as Mac Roman." in page
    assert "Inconsistency: the report states a global score of 6.0/10" in page
    assert 'name="_confirm"' in page
    assert Audit.objects.count() == 0


def test_confirming_the_preview_imports_the_report_and_opens_the_audit(client, admin):
    client.force_login(admin)
    page = preview(client, "en_bullets_scores_100.md", create_project="on")
    assert "Payments API (will be created)" in page.content.decode()
    payload = page.context["confirm_form"].initial["payload"]
    response = client.post(URL, {"payload": payload, "_confirm": "Import"})
    audit = Audit.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:projects_audit_change", args=[audit.pk])
    assert audit.project.name == "Payments API" and audit.kind == Audit.Kind.IMPORTED
    assert ChecklistItem.objects.filter(checklist__audit=audit).count() == 4
    again = client.post(URL, {"payload": payload, "_confirm": "Import"})
    assert again.status_code == 302 and Audit.objects.count() == 1


def test_a_tampered_preview_is_refused_and_nothing_is_imported(client, admin, project):
    client.force_login(admin)
    page = preview(client, "000_1fb18fdaa5fc337e.txt", project=project.pk)
    payload = page.context["confirm_form"].initial["payload"]
    response = client.post(URL, {"payload": payload[:-2] + "xx", "_confirm": "Import"})
    assert response.status_code == 200
    assert "The preview was altered; upload the file again." in response.content.decode()
    assert Audit.objects.count() == 0


def test_a_file_that_is_not_a_report_gets_a_clear_error_and_no_changes(client, admin, project):
    client.force_login(admin)
    response = preview(client, "not_a_report.py", project=project.pk)
    assert response.status_code == 200
    assert "does not look like an audit report" in response.content.decode()
    assert "Preview of" not in response.content.decode()
    assert Audit.objects.count() == 0 and Project.objects.count() == 1


def test_auditors_cannot_create_projects_through_the_import(client, auditor_user):
    client.force_login(auditor_user)
    response = preview(client, "en_bullets_scores_100.md", create_project="on")
    assert "which does not exist" in response.content.decode()
    assert "create_project" not in response.context["form"].fields
    assert Project.objects.count() == 0


def test_auditors_see_every_project_so_the_report_goes_to_the_one_it_names(
    client, auditor_user, other_project
):
    client.force_login(auditor_user)
    response = preview(client, "003_1458062adef007ce.txt")
    assert response.context["result"].project == other_project
    assert "AetherFlow (will be created)" not in response.content.decode()


def test_a_report_naming_a_project_the_user_does_not_see_is_refused(client, project, other_project):
    # A staff user allowed to add audits, but who only sees the project they are a member of.
    user = make_user("scoped")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="projects", codename__in=["add_audit", "view_audit"]
        )
    )
    project.members.add(user)
    client.force_login(user)
    response = preview(client, "003_1458062adef007ce.txt")
    assert "The report names a project you do not have access to" in response.content.decode()
    response = preview(client, "003_1458062adef007ce.txt", project=other_project.pk)
    assert "Select a valid choice" in response.content.decode()
    assert Audit.objects.count() == 0


def test_the_object_tool_adds_no_query_per_audit_to_the_changelist(client, admin, project):
    client.force_login(admin)
    Audit.objects.bulk_create([Audit(project=project, title=f"A{i}") for i in range(3)])
    client.get("/admin/projects/audit/")  # warm the content-type and permission caches
    with CaptureQueriesContext(connection) as few:
        assert client.get("/admin/projects/audit/").status_code == 200
    Audit.objects.bulk_create([Audit(project=project, title=f"B{i}") for i in range(30)])
    with CaptureQueriesContext(connection) as many:
        page = client.get("/admin/projects/audit/").content.decode()
    assert f'href="{URL}"' in page
    assert len(many) == len(few)


def test_the_preview_says_what_it_found_and_what_it_could_not_place(client, admin, project):
    client.force_login(admin)
    report = (
        "# AUDIT COMPLET PERCHEPLUME - SOMMAIRE\n\n**Date** : 3 novembre 2025\n"
        "**Statut** : GO avec réserves\n\n"
        "| Rôle | Score |\n|---|---|\n| Product Manager | 4/10 |\n| Sécurité | 6/10 |\n"
    )
    upload_file = SimpleUploadedFile("roles.md", report.encode(), content_type="text/markdown")
    response = client.post(URL, {"report": upload_file, "_preview": "Preview", "project": project.pk})
    page = response.content.decode()
    assert "2 stated scores (1 mapped to a domain)" in page
    assert "from the title" in page and "PERCHEPLUME" in page
    assert "no domain: kept as a stated score of the audit" in page
    assert "What could not be placed" in page
    assert "Score &#x27;Product Manager&#x27; (4/10) matches no maturity domain" in page
