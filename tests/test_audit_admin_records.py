"""The audit admin page shows, read only, what other apps record about an audit: the re-scan
run of an automated audit and the source of an imported report (what scan_details showed)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from reports.services import report_import
from rescans import services as rescans

SAMPLES = Path(__file__).parents[1] / "reports" / "tests" / "samples"

pytestmark = pytest.mark.django_db


def change_page(client, user, audit_id: int) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:projects_audit_change", args=[audit_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_failed_rescan_shows_its_run_to_admins_and_managers(client, admin, manager, project):
    audit = rescans.project_rescan_request(project_id=project.pk, force=True, reason="admin", enqueue=False)
    rescans._finish_failed(audit.pk, "git ls-remote failed: repository not found")

    for user in (admin, manager):
        html = change_page(client, user, audit.pk)
        assert "Re-scan run" in html
        assert "git ls-remote failed: repository not found" in html
        assert "Admin action" in html  # the reason, as its label


def test_an_imported_report_shows_its_source(client, admin, project):
    result = report_import(
        content=(SAMPLES / "000_1fb18fdaa5fc337e.txt").read_bytes(),
        file_name="backend-report-v2.md",
        project=project,
        user=admin,
    )

    html = change_page(client, admin, result.audit.pk)
    assert "Report source" in html
    assert "backend-report-v2.md" in html
    assert "Verdict as written" in html
