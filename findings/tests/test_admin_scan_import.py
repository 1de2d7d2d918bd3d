"""Admin "Import scan report": upload, dry-run preview, confirm; links from project and audit."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from findings.models import Finding, ImportRun
from findings.tests.helpers import fixture

pytestmark = pytest.mark.django_db
UPLOAD = "/admin/findings/importrun/upload/"


def _post_file(client, project, name="bandit_v2.json", content=None, **extra):
    data = {
        "project": project.pk,
        "format": "auto",
        "file": SimpleUploadedFile(name, fixture(name) if content is None else content),
        **extra,
    }
    return client.post(UPLOAD, data)


def test_an_auditor_sees_the_preview_then_confirms_the_import(
    client, auditor_user, project, audit, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(auditor_user)
    response = _post_file(client, project, name="bandit_v1.json", audit=audit.pk)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing has been written yet" in html
    assert re.search(r"<th>Created</th><td>10</td>", html)
    assert "B602" in html
    assert not Finding.objects.exists() and not ImportRun.objects.exists()
    key = re.search(r'name="key" value="([^"]+)"', html).group(1)

    response = client.post(UPLOAD, {"confirm": "1", "key": key})
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:findings_importrun_change", args=[run.pk])
    assert run.user == auditor_user and run.audit == audit and run.created_count == 10
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Imported bandit_v1.json: 10 created" in page.content.decode()
    assert Finding.objects.filter(project=project).count() == 10
    assert not list(tmp_path.glob("scan-staging/*.upload"))

    # The same confirmation cannot be replayed.
    response = client.post(UPLOAD, {"confirm": "1", "key": key}, follow=True)
    assert "no longer available" in response.content.decode()
    assert ImportRun.objects.count() == 1


def test_the_preview_lists_what_would_be_resolved(client, auditor_user, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(auditor_user)
    key = re.search(
        r'name="key" value="([^"]+)"', _post_file(client, project, "bandit_v1.json").content.decode()
    ).group(1)
    client.post(UPLOAD, {"confirm": "1", "key": key})
    html = _post_file(client, project, "bandit_v2.json").content.decode()
    assert re.search(r"<th>Resolved</th><td>1</td>", html)
    assert "First resolved" in html and "B324" in html


def test_a_bad_report_is_a_form_error_and_writes_nothing(client, auditor_user, project, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(auditor_user)
    response = _post_file(client, project, name="bandit_v1.json", content=b'{"results": [')
    assert response.status_code == 200
    assert "bandit_v1.json: line 1, column" in response.content.decode()
    assert not Finding.objects.exists() and not ImportRun.objects.exists()
    assert not list(tmp_path.glob("scan-staging/*.upload"))


def test_an_audit_of_another_project_is_refused(
    client, auditor_user, project, other_project, settings, tmp_path
):
    from projects.models import Audit

    settings.MEDIA_ROOT = tmp_path
    theirs = Audit.objects.create(project=other_project, title="Theirs")
    client.force_login(auditor_user)
    response = _post_file(client, project, audit=theirs.pk)
    assert "This audit belongs to AetherFlow" in response.content.decode()
    assert not ImportRun.objects.exists()


def test_the_form_starts_with_the_audit_and_its_project_chosen(client, auditor_user, audit):
    client.force_login(auditor_user)
    html = client.get(f"{UPLOAD}?audit={audit.pk}").content.decode()
    assert re.search(rf'<option value="{audit.project_id}" selected>', html)
    assert re.search(rf'<option value="{audit.pk}" selected>', html)


def test_tech_leads_and_managers_cannot_import_from_the_admin(client, tech_lead, manager, project):
    for user in (tech_lead, manager):
        client.force_login(user)
        assert client.get(UPLOAD).status_code == 403
        assert _post_file(client, project).status_code == 403
    assert not ImportRun.objects.exists()


def test_project_and_audit_pages_link_to_the_import_form(client, auditor_user, tech_lead, project, audit):
    client.force_login(auditor_user)
    html = client.get(reverse("admin:projects_project_change", args=[project.pk])).content.decode()
    assert f'href="{UPLOAD}?project={project.pk}"' in html
    html = client.get(reverse("admin:projects_audit_change", args=[audit.pk])).content.decode()
    assert f'href="{UPLOAD}?audit={audit.pk}"' in html
    assert "Import scan report" in client.get(reverse("admin:findings_importrun_changelist")).content.decode()
    client.force_login(tech_lead)
    html = client.get(reverse("admin:projects_project_change", args=[project.pk])).content.decode()
    assert UPLOAD not in html


def test_the_import_runs_list_does_not_query_per_row(client, admin, project, django_assert_max_num_queries):
    from findings.services.scans import scan_import

    for name in ("bandit_v1.json", "bandit_v2.json", "coverage.xml", "junit.xml", "ruff_v1.sarif"):
        scan_import(project=project, content=fixture(name), file_name=name, user=admin)
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:findings_importrun_changelist"))
    assert response.status_code == 200
    assert response.content.decode().count("bandit_v") >= 2
