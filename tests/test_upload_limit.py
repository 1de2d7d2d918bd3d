"""One upload limit, AUDITOR_MAX_UPLOAD_BYTES, on every way a file comes in: refused before it is
parsed, with the same message, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from findings.importers import ScanFormatError
from findings.models import ImportRun
from findings.services import scan_import
from findings.tests.helpers import fixture
from projects.models import Audit
from projects.uploads import upload_size_error
from reports.errors import ReportError
from reports.services import report_import

REPORT = Path(__file__).parents[1] / "reports" / "tests" / "samples" / "fr_tableaux.md"
LIMIT = 100


@pytest.fixture
def small_limit(settings):
    settings.AUDITOR_MAX_UPLOAD_BYTES = LIMIT


def test_the_limit_is_inclusive_and_the_message_names_the_setting(small_limit):
    assert upload_size_error(LIMIT) is None
    assert upload_size_error(LIMIT + 1, name="big.md") == (
        f"big.md: the file is {LIMIT + 1:,} bytes, over the {LIMIT:,}-byte limit (AUDITOR_MAX_UPLOAD_BYTES)"
    )


def test_a_markdown_report_over_the_limit_is_refused_by_the_service(project, small_limit):
    with pytest.raises(ReportError, match="AUDITOR_MAX_UPLOAD_BYTES"):
        report_import(content=REPORT.read_bytes(), project=project)
    assert not Audit.objects.exists()


def test_a_markdown_report_over_the_limit_is_refused_by_the_admin_form(client, admin, project, small_limit):
    client.force_login(admin)
    upload = SimpleUploadedFile("r.md", REPORT.read_bytes(), content_type="text/markdown")
    response = client.post(
        "/admin/projects/audit/import-report/", {"report": upload, "project": project.pk, "_preview": "1"}
    )
    assert response.status_code == 200
    assert "AUDITOR_MAX_UPLOAD_BYTES" in response.content.decode()
    assert not Audit.objects.exists()


def test_a_scan_report_over_the_limit_is_refused_by_the_service_and_the_command(
    project, small_limit, tmp_path
):
    with pytest.raises(ScanFormatError, match="AUDITOR_MAX_UPLOAD_BYTES"):
        scan_import(project=project, content=fixture("bandit_v1.json"), file_name="bandit.json")
    path = tmp_path / "bandit.json"
    path.write_bytes(fixture("bandit_v1.json"))
    with pytest.raises(CommandError, match="AUDITOR_MAX_UPLOAD_BYTES"):
        call_command("import_scan", "--project", project.slug, str(path))
    assert not ImportRun.objects.exists()
