"""One preview-then-confirm staging for every upload (projects.staging): what a confirmation
form carries is a signed token, only the session that previewed may confirm, and only once."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse

from checklists.models import ChecklistTemplateItem
from findings.tests.helpers import fixture
from projects import staging

ITEMS_IMPORT = "admin:checklists_checklisttemplateitem_import"
ITEMS_CONFIRM = "admin:checklists_checklisttemplateitem_process_import"
HEADER = "id,template,order,section,text,guidance,is_critical,domain\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _staged_files(tmp_path) -> list:
    return list((tmp_path / staging.FOLDER).glob("*.upload"))


def _request():
    request = RequestFactory().get("/")
    request.session = SessionStore()
    return request


def test_a_token_round_trips_once_and_names_its_kind(tmp_path):
    request = _request()
    token = staging.stage(request, content=b"data", kind="a", meta={"x": 1})
    assert len(_staged_files(tmp_path)) == 1

    with pytest.raises(staging.StagingError, match="altered"):
        staging.take(request, token, kind="b")  # a token of another kind of upload
    staged = staging.take(request, token, kind="a")

    assert (staged.content, staged.meta) == (b"data", {"x": 1})
    assert not _staged_files(tmp_path)
    with pytest.raises(staging.StagingError, match="no longer available"):
        staging.take(request, token, kind="a")


def test_another_session_cannot_take_an_upload_and_an_altered_token_is_named_so(tmp_path):
    mine, theirs = _request(), _request()
    token = staging.stage(mine, content=b"data", kind="a")

    with pytest.raises(staging.StagingError, match="no longer available"):
        staging.take(theirs, token, kind="a")
    with pytest.raises(staging.StagingError, match="altered"):
        staging.take(mine, token[:-3] + "xyz", kind="a")
    assert staging.take(mine, token, kind="a").content == b"data"


def test_a_changed_file_is_refused(tmp_path):
    request = _request()
    token = staging.stage(request, content=b"data", kind="a")
    [path] = _staged_files(tmp_path)
    path.write_bytes(b"other")
    with pytest.raises(staging.StagingError, match="changed since the preview"):
        staging.take(request, token, kind="a")


def _preview_items(client) -> dict:
    url = reverse(ITEMS_IMPORT)
    form = client.get(url).context["form"]
    csv = next(value for value, label in form.fields["format"].choices if label.lower() == "csv")
    text = HEADER + ",deployment,500,Extra,Staged item,,0,security\n"
    response = client.post(
        url, {"import_file": SimpleUploadedFile("items.csv", text.encode()), "format": csv, "resource": "0"}
    )
    assert response.status_code == 200
    return response.context["confirm_form"].initial


def test_a_spreadsheet_preview_is_confirmed_only_by_its_session_and_only_once(admin, tmp_path):
    mine, theirs = Client(), Client()
    mine.force_login(admin)
    theirs.force_login(admin)
    confirm = _preview_items(mine)
    assert not confirm["import_file_name"].endswith(".csv") and len(_staged_files(tmp_path)) == 1

    refused = theirs.post(reverse(ITEMS_CONFIRM), confirm, follow=True)
    assert "no longer available" in refused.content.decode()
    assert not ChecklistTemplateItem.objects.filter(text="Staged item").exists()

    assert mine.post(reverse(ITEMS_CONFIRM), confirm).status_code == 302
    assert ChecklistTemplateItem.objects.filter(text="Staged item").count() == 1
    assert not _staged_files(tmp_path)
    replay = mine.post(reverse(ITEMS_CONFIRM), confirm, follow=True)
    assert "no longer available" in replay.content.decode()
    assert ChecklistTemplateItem.objects.filter(text="Staged item").count() == 1


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "x" * 32])
def test_a_spreadsheet_confirmation_naming_a_path_is_refused(client, admin, name):
    client.force_login(admin)
    confirm = {**_preview_items(client), "import_file_name": name}
    response = client.post(reverse(ITEMS_CONFIRM), confirm, follow=True)
    assert response.status_code == 200 and "altered" in response.content.decode()
    assert not ChecklistTemplateItem.objects.filter(text="Staged item").exists()


def test_a_scan_confirmation_with_an_altered_token_imports_nothing(client, auditor_user, project):
    from findings.models import ImportRun

    client.force_login(auditor_user)
    upload = SimpleUploadedFile("bandit.json", fixture("bandit_v1.json"))
    page = client.post(
        "/admin/findings/importrun/upload/", {"project": project.pk, "format": "auto", "file": upload}
    )
    key = re.search(r'name="key" value="([^"]+)"', page.content.decode()).group(1)
    response = client.post(
        "/admin/findings/importrun/upload/", {"confirm": "1", "key": key[:-2] + "zz"}, follow=True
    )
    assert "altered" in response.content.decode() and not ImportRun.objects.exists()
