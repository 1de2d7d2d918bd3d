"""Hostile scanner reports through every import entry point: the import_scan command, the admin
upload (preview, then confirm) and the CI API. A refused report leaves the database as it was
and says why; an accepted one is stored with text the database and spreadsheets can hold."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from findings.importers import ScanFormatError
from findings.models import Finding, ImportRun
from findings.services.scans import scan_import
from findings.services.tokens import api_token_create
from tests.hostile.helpers import assert_no_crash, db_state
from tests.hostile.reports import ACCEPTED, REFUSED, bandit

UPLOAD = "/admin/findings/importrun/upload/"
ENTRY_POINTS = ("command", "admin", "api")
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


@pytest.fixture
def token(world):
    return api_token_create(project=world["project"], name="CI")[1]


@pytest.fixture
def importer(client, world, token, tmp_path, settings):
    """A function that imports `content` through one entry point and returns (ok, message)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    project = world["project"]
    client.raise_request_exception = False

    def command(content: bytes, name: str) -> tuple[bool, str]:
        path = tmp_path / name
        path.write_bytes(content)
        try:
            call_command("import_scan", str(path), "--project", project.slug, stdout=io.StringIO())
        except CommandError as exc:
            return False, str(exc)
        return True, ""

    def admin(content: bytes, name: str) -> tuple[bool, str]:
        client.force_login(world["users"]["auditor"])
        response = client.post(
            UPLOAD, {"project": project.pk, "format": "auto", "file": SimpleUploadedFile(name, content)}
        )
        text = assert_no_crash(response)
        key = re.search(r'name="key" value="([^"]+)"', text)
        if key is None:
            assert response.status_code == 200 and "errorlist" in text
            return False, text
        response = client.post(UPLOAD, {"confirm": "1", "key": key.group(1)}, follow=True)
        return True, assert_no_crash(response)

    def api(content: bytes, name: str) -> tuple[bool, str]:
        response = client.post(
            f"/api/projects/{project.slug}/scans/",
            {"file": SimpleUploadedFile(name, content)},
            headers={"Authorization": f"Bearer {token}"},
        )
        text = assert_no_crash(response)
        assert response.status_code in (201, 400), text
        return response.status_code == 201, response.json().get("error", "")

    return {"command": command, "admin": admin, "api": api}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("case, content, message", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_hostile_report_is_refused_whole_with_a_clear_message(
    world, importer, entry, case, content, message
):
    before = db_state()
    ok, text = importer[entry](content, f"{case}.report")
    assert not ok
    assert message in text
    assert len(text) < 20_000 or entry == "admin"  # a 5000-digit number is never echoed whole
    assert db_state() == before


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("case, content", ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_a_report_with_awkward_but_legal_content_is_imported_storably(world, importer, entry, case, content):
    before = Finding.objects.count()
    ok, text = importer[entry](content, f"{case}.report")
    assert ok, text
    run = ImportRun.objects.latest("pk")
    assert run.status == ImportRun.Status.SUCCEEDED
    created = Finding.objects.filter(project=world["project"]).order_by("-pk")[: run.created_count]
    assert Finding.objects.count() == before + run.created_count > before
    for finding in created:
        for value in (finding.title, finding.description, finding.tool, finding.rule_id, finding.file_path):
            assert not UNSTORABLE.search(value)
    assert not UNSTORABLE.search(run.tool)


def test_results_without_a_location_belong_to_the_project(world, importer):
    content = dict(ACCEPTED)["sarif-no-physical-location"]
    assert importer["api"](content, "dockle.sarif")[0]
    places = set(Finding.objects.filter(tool="dockle").values_list("file_path", "line"))
    assert places == {("", None), ("image/layer-3", None)}
    # The same report again changes nothing: location-less findings keep their identity.
    assert importer["api"](content, "dockle.sarif")[0]
    assert ImportRun.objects.latest("pk").created_count == 0


@pytest.mark.parametrize(
    "audit",
    [quote("²"), quote("١"), "9" * 30, "1" * 5000, "%00", "-1", "1e3", " 1"],
    ids=["²", "١", "huge", "5000-digits", "nul", "-1", "1e3", "space-1"],
)
def test_the_ci_api_audit_parameter_is_an_ascii_id_or_a_400(client, world, token, audit):
    before = db_state()
    response = client.generic(
        "POST",
        f"/api/projects/{world['project'].slug}/scans/",
        f"audit={audit}".encode(),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_no_crash(response)
    assert response.status_code == 400
    assert db_state() == before
    # With the file, too: the audit is refused, not misread (int("١") is 1).
    response = client.post(
        f"/api/projects/{world['project'].slug}/scans/",
        {"file": SimpleUploadedFile("b.json", bandit()), "audit": audit.replace("%00", "\x00")},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_no_crash(response)
    assert response.status_code == 400 and "has no audit" in response.json()["error"]
    assert db_state() == before


@pytest.mark.parametrize("audit", ["²", "١", "9" * 30], ids=["²", "١", "huge"])
def test_the_import_scan_command_refuses_a_non_ascii_audit_id(world, tmp_path, audit):
    path = tmp_path / "b.json"
    path.write_bytes(bandit())
    before = db_state()
    with pytest.raises(CommandError, match="audit"):
        call_command("import_scan", str(path), "--project", world["project"].slug, "--audit", audit)
    assert db_state() == before


HYPOTHESIS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
numbers = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet="0123456789.eE+-²١", max_size=30)
)


@HYPOTHESIS
@given(line=numbers, loc=numbers)
def test_any_number_in_a_report_is_stored_in_range_or_refused(world, line, loc):
    """Through the service every entry point uses: stored within PostgreSQL's integer, or refused
    with a ScanFormatError and nothing written."""
    before = db_state()
    doc = json.loads(bandit())
    doc["results"][0]["line_number"] = line
    doc["metrics"]["_totals"]["loc"] = loc
    content = json.dumps(doc, allow_nan=True).encode()
    try:
        run = scan_import(project=world["project"], content=content, file_name="h.json", audit=world["dated"])
    except ScanFormatError as exc:
        assert str(exc).startswith("h.json:")
        assert db_state() == before
        return
    assert run.status == ImportRun.Status.SUCCEEDED
    for stored in Finding.objects.filter(tool="bandit").values_list("line", flat=True):
        assert stored is None or 0 <= stored <= 2**31 - 1
    world["dated"].refresh_from_db()
    assert world["dated"].lines_of_code is None or 0 <= world["dated"].lines_of_code <= 2**31 - 1


def test_a_file_name_with_control_characters_is_stored_clean(client, world, token):
    response = client.post(
        f"/api/projects/{world['project'].slug}/scans/",
        {"file": SimpleUploadedFile("bandit\x00\x01.json", bandit())},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert_no_crash(response)
    assert response.status_code == 201
    assert not UNSTORABLE.search(ImportRun.objects.get().file_name)
    assert "\x01" not in ImportRun.objects.get().file_name
