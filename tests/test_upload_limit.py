"""One upload check on every way a file comes in: AUDITOR_MAX_UPLOAD_BYTES for scanner reports,
AUDITOR_MAX_REPORT_BYTES for Markdown reports; refused before it is parsed, with the same
message, and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from findings.importers import ScanFormatError
from findings.models import ImportRun
from findings.services.scans import scan_import
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


@pytest.fixture
def small_report_limit(settings):
    settings.AUDITOR_MAX_REPORT_BYTES = LIMIT


def test_the_limit_is_inclusive_and_the_message_names_the_setting(small_limit):
    assert upload_size_error(LIMIT) is None
    assert upload_size_error(LIMIT + 1, name="big.md") == (
        f"big.md: the file is {LIMIT + 1:,} bytes, over the {LIMIT:,}-byte limit (AUDITOR_MAX_UPLOAD_BYTES)"
    )


def test_a_markdown_report_over_the_limit_is_refused_by_the_service(project, small_report_limit):
    with pytest.raises(ReportError, match="AUDITOR_MAX_REPORT_BYTES"):
        report_import(content=REPORT.read_bytes(), project=project)
    assert not Audit.objects.exists()


def test_a_markdown_report_over_the_limit_is_refused_by_the_admin_form(
    client, admin, project, small_report_limit
):
    client.force_login(admin)
    upload = SimpleUploadedFile("r.md", REPORT.read_bytes(), content_type="text/markdown")
    response = client.post(
        "/admin/projects/audit/import-report/", {"report": upload, "project": project.pk, "_preview": "1"}
    )
    assert response.status_code == 200
    assert "AUDITOR_MAX_REPORT_BYTES" in response.content.decode()
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


def test_the_report_limit_is_far_below_the_scan_limit_by_default(settings):
    """A Markdown report is read inside the request (about 2 s per megabyte): the default keeps a
    report well inside a web worker's timeout, while scanner files may be much larger."""
    assert settings.AUDITOR_MAX_REPORT_BYTES <= 2 * 1024 * 1024 < settings.AUDITOR_MAX_UPLOAD_BYTES
    big_report = settings.AUDITOR_MAX_REPORT_BYTES + 1
    assert "AUDITOR_MAX_REPORT_BYTES" in upload_size_error(
        big_report, limit_setting="AUDITOR_MAX_REPORT_BYTES"
    )
    assert upload_size_error(big_report) is None


def test_a_report_whose_checklist_is_over_the_item_limit_is_refused_and_nothing_is_written(project, settings):
    settings.CHECKLIST_MAX_ITEMS = 50
    lines = ["# Audit report", "", "Date: 2026-11-02", "", "## Checklist", ""]
    lines += [f"- [x] Item number {n} is done" for n in range(1, 61)]
    with pytest.raises(ReportError, match="60 items, over the limit of 50 items per checklist"):
        report_import(content="\n".join(lines).encode(), project=project)
    assert not Audit.objects.exists()
