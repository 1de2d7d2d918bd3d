"""Finding export/import (django-import-export): formula escaping, scoped triage updates."""

import pytest
import tablib
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from findings.models import Finding
from findings.resources import FindingResource, escape_formula
from findings.services.scans import scan_import
from findings.tests.helpers import fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def findings(project):
    scan_import(project=project, content=fixture("bandit_v1.json"), file_name="b.json")
    return Finding.objects.filter(project=project)


@pytest.mark.parametrize("value", ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_a_spreadsheet_would_run_are_escaped(value):
    assert escape_formula(value) == "'" + value
    assert escape_formula("plain =text") == "plain =text"
    assert escape_formula(5) == 5


def test_export_escapes_formulas_in_every_text_column(findings):
    finding = findings.first()
    Finding.objects.filter(pk=finding.pk).update(
        title='=HYPERLINK("http://evil.example","click")', recommendation="@SUM(1)"
    )
    dataset = FindingResource().export(Finding.objects.filter(pk=finding.pk))
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert row["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["recommendation"] == "'@SUM(1)"
    assert row["project"] == "champion-clone"
    assert row["severity"] in {"Low", "Medium", "High"}


def test_the_admin_exports_csv_of_the_users_projects_only(client, tech_lead, findings, other_project):
    scan_import(project=other_project, content=fixture("junit.xml"), file_name="j.xml")
    client.force_login(tech_lead)
    response = client.post(
        reverse("admin:findings_finding_export"),
        {
            "format": "0",
            "export_items": [],
            **{f"findingresource_{name}": "on" for name in ("id", "project", "title", "status")},
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "champion-clone" in body and "aetherflow" not in body


def _import(user, rows, dry_run=False):
    dataset = tablib.Dataset(headers=list(rows[0].keys()))
    for row in rows:
        dataset.append(list(row.values()))
    return FindingResource(user=user).import_data(
        dataset, dry_run=dry_run, raise_errors=False, use_transactions=True
    )


def test_a_triage_sheet_updates_status_assignee_and_severity(auditor_user, findings):
    one, two = findings.order_by("pk")[:2]
    result = _import(
        auditor_user,
        [
            {
                "id": one.pk,
                "status": "In progress",
                "assignee": "auditor",
                "severity": "Critical",
                "title": "ignored",
            },
            {
                "id": two.pk,
                "status": "fixed",
                "assignee": "",
                "severity": str(two.severity),
                "title": "ignored",
            },
        ],
    )
    assert not result.has_errors() and not result.has_validation_errors()
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.status == Finding.Status.IN_PROGRESS and one.assignee == auditor_user
    assert one.severity == 4 and one.status_changed_at is not None
    assert one.title != "ignored"
    assert two.status == Finding.Status.FIXED and two.fixed_at is not None


def test_a_tech_lead_sheet_changes_status_but_not_severity(tech_lead, findings):
    one = findings.order_by("pk").first()
    result = _import(tech_lead, [{"id": one.pk, "status": "in_progress", "severity": "Critical"}])
    assert not result.has_validation_errors()
    one.refresh_from_db()
    assert one.status == "in_progress" and one.severity != 4


def test_a_bad_row_imports_nothing_and_names_the_problem(auditor_user, tech_lead, findings, other_project):
    scan_import(project=other_project, content=fixture("junit.xml"), file_name="j.xml")
    theirs = Finding.objects.filter(project=other_project).first()
    one = findings.order_by("pk").first()
    before = list(Finding.objects.order_by("pk").values_list("status", "assignee", "severity"))
    result = _import(
        tech_lead,
        [
            {"id": one.pk, "status": "fixed", "assignee": ""},
            {"id": theirs.pk, "status": "fixed", "assignee": ""},
        ],
    )
    assert result.has_validation_errors()
    assert "No finding with id" in str(result.invalid_rows[0].error)
    assert list(Finding.objects.order_by("pk").values_list("status", "assignee", "severity")) == before
    result = _import(auditor_user, [{"id": one.pk, "status": "solved", "assignee": "nobody"}])
    errors = str(result.invalid_rows[0].error)
    assert "'solved' is not a status" in errors and "No user named 'nobody'" in errors
    assert list(Finding.objects.order_by("pk").values_list("status", "assignee", "severity")) == before


def test_the_admin_import_page_accepts_a_csv_and_shows_a_confirmation(client, auditor_user, findings):
    one = findings.order_by("pk").first()
    client.force_login(auditor_user)
    csv = f"id,status\n{one.pk},accepted_risk\n".encode()
    response = client.post(
        reverse("admin:findings_finding_import"),
        {
            "format": "0",
            "resource": "0",
            "import_file": SimpleUploadedFile("triage.csv", csv, content_type="text/csv"),
        },
    )
    assert response.status_code == 200
    assert "Confirm import" in response.content.decode()
    one.refresh_from_db()
    assert one.status == Finding.Status.OPEN  # nothing changes before confirmation


def test_xlsx_export_writes_formulas_as_plain_text(findings):
    import io

    import openpyxl

    finding = findings.first()
    Finding.objects.filter(pk=finding.pk).update(title="=1+2")
    dataset = FindingResource().export(Finding.objects.filter(pk=finding.pk))
    sheet = openpyxl.load_workbook(io.BytesIO(dataset.export("xlsx"))).active
    header = [cell.value for cell in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("title") + 1)
    assert cell.data_type == "s" and cell.value == "'=1+2"


def test_the_admin_export_does_not_query_per_finding(client, admin, project, auditor_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(admin)
    fields = {
        f"findingresource_{name}": "on" for name in ("id", "project", "title", "domain", "assignee", "status")
    }
    counts = []
    # Warm the changelist's cached tool list, so both measured exports do the same work.
    client.post(reverse("admin:findings_finding_export"), {"format": "0", **fields})
    for name in ("junit.xml", "bandit_v1.json"):  # 2 findings, then 12
        scan_import(project=project, content=fixture(name), file_name=name)
        Finding.objects.update(assignee=auditor_user)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                reverse("admin:findings_finding_export"), {"format": "0", "export_items": [], **fields}
            )
        assert response.status_code == 200
        counts.append(len(queries))
    assert response.content.decode().count("auditor") >= 12
    assert counts[0] == counts[1]
