"""Spreadsheet imports and exports (django-import-export): the findings triage sheet and the
checklist template library. Worker-killing files (20,000 rows, an XLSX zip bomb) are refused
before a row is read; cells that are formulas or hold control characters export as text; bad
ids and numbers in rows are row errors, never tracebacks."""

from __future__ import annotations

import io
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from checklists.models import ChecklistTemplate, ChecklistTemplateItem
from tests.hostile.helpers import assert_no_crash, db_state

FINDINGS_IMPORT = "/admin/findings/finding/import/"
FINDINGS_EXPORT = "/admin/findings/finding/export/"
ITEMS_IMPORT = "/admin/checklists/checklisttemplateitem/import/"
ITEMS_EXPORT = "/admin/checklists/checklisttemplateitem/export/"
TEMPLATES_IMPORT = "/admin/checklists/checklisttemplate/import/"
TEMPLATES_EXPORT = "/admin/checklists/checklisttemplate/export/"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def format_choice(form, label: str) -> str:
    return next(value for value, text in form.fields["format"].choices if text.lower() == label)


def upload(client, url: str, content: bytes, name: str, label: str):
    form = client.get(url).context["form"]
    return client.post(
        url,
        {
            "import_file": SimpleUploadedFile(name, content),
            "format": format_choice(form, label),
            "resource": "0",
        },
    )


def export(client, url: str, label: str):
    form = client.get(url).context["form"]
    data = {name: "on" for name, field in form.fields.items() if field.__class__.__name__ == "BooleanField"}
    data.update(format=format_choice(form, label), resource="0")
    return client.post(url, data)


def xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    """A real XLSX whose sheet unpacks to 200 MB of rows but weighs a few hundred KB."""
    small = zipfile.ZipFile(io.BytesIO(xlsx([["id", "status"], [1, "open"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for member in small.infolist():
            if member.filename != "xl/worksheets/sheet1.xml":
                bomb.writestr(member, small.read(member))
                continue
            with bomb.open(member.filename, "w", force_zip64=True) as sheet:
                sheet.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                row = b'<row><c t="inlineStr"><is><t>open</t></is></c></row>' * 20_000
                for _ in range(200 * 1024 * 1024 // len(row)):
                    sheet.write(row)
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


WORKER_KILLERS = [
    ("findings-csv-20000-rows", FINDINGS_IMPORT, "triage.csv", "csv", "more than 5,000 rows"),
    ("findings-xlsx-zip-bomb", FINDINGS_IMPORT, "triage.xlsx", "xlsx", "unpacks to"),
    ("template-items-csv-20000-rows", ITEMS_IMPORT, "items.csv", "csv", "more than 5,000 rows"),
    ("template-items-xlsx-zip-bomb", ITEMS_IMPORT, "items.xlsx", "xlsx", "unpacks to"),
    ("templates-xlsx-zip-bomb", TEMPLATES_IMPORT, "templates.xlsx", "xlsx", "unpacks to"),
]


@pytest.mark.parametrize(
    "case, url, name, label, message", WORKER_KILLERS, ids=[w[0] for w in WORKER_KILLERS]
)
def test_worker_killing_files_are_refused_before_any_row_is_read(
    logged_in, world, zip_bomb, case, url, name, label, message
):
    if label == "csv":
        header = (
            "id,status\n"
            if "findings" in case
            else "id,template,order,section,text,guidance,is_critical,domain\n"
        )
        row = "{i},open\n" if "findings" in case else ",deployment,{i},S,Item {i},,0,\n"
        content = (header + "".join(row.format(i=i) for i in range(20_000))).encode()
        assert 150_000 <= len(content) <= 1_000_000
    else:
        content = zip_bomb
        assert len(content) < 1_000_000
    before = db_state()
    started = time.perf_counter()
    response = upload(logged_in, url, content, name, label)
    elapsed = time.perf_counter() - started
    text = assert_no_crash(response)
    assert response.status_code == 200 and message in text
    assert "confirm_form" not in response.context or response.context["confirm_form"] is None
    assert elapsed < 10  # refused from the declared sizes or the row count, not after the work
    assert db_state() == before


def test_an_xlsx_over_the_row_limit_stops_at_the_limit(logged_in, world, settings):
    settings.IMPORT_MAX_ROWS = 50
    content = xlsx([["id", "status"], *[[i, "open"] for i in range(1, 60)]])
    before = db_state()
    text = assert_no_crash(upload(logged_in, FINDINGS_IMPORT, content, "t.xlsx", "xlsx"))
    assert "more than 50 rows" in text and "IMPORT_MAX_ROWS" in text
    assert db_state() == before


def test_a_file_that_is_not_an_xlsx_archive_is_named_so(logged_in, world):
    text = assert_no_crash(upload(logged_in, FINDINGS_IMPORT, b"id,status\n1,open\n", "t.xlsx", "xlsx"))
    assert "not an XLSX file" in text


BAD_ROWS = [
    ("id-superscript-two", "id,status\n²,open\n", "is not a finding id"),
    ("id-arabic-indic", "id,status\n١,open\n", "is not a finding id"),
    ("id-huge", "id,status\n" + "9" * 30 + ",open\n", "is not a finding id"),
    ("id-5000-digits", "id,status\n" + "1" * 5000 + ",open\n", "is not a finding id"),
    ("id-negative", "id,status\n-1,open\n", "is not a finding id"),
    ("status-with-nul", "id,status\n{id},op\x00en\n", None),
    ("effort-with-nul-and-surrogate", "id,status,effort\n{id},open,2\x00h \ud800\n", None),
]


@pytest.mark.parametrize("case, text, message", BAD_ROWS, ids=[b[0] for b in BAD_ROWS])
def test_hostile_rows_of_a_triage_sheet(logged_in, world, case, text, message):
    before = db_state()
    content = text.format(id=world["findings"][0].pk).encode("utf-8", "surrogatepass")
    response = upload(logged_in, FINDINGS_IMPORT, content, "triage.csv", "csv")
    html = assert_no_crash(response)
    assert response.status_code == 200
    if message:
        assert message in html
    assert db_state() == before  # a preview never writes


ITEM_ROWS = [
    ("order-infinity", ",deployment,inf,S,Text,,0,\n", "is not a whole number"),
    ("order-nan", ",deployment,NaN,S,Text,,0,\n", "is not a whole number"),
    ("order-5000-digits", ",deployment," + "1" * 5000 + ",S,Text,,0,\n", "is not a whole number"),
    ("order-2^31", f",deployment,{2**31},S,Text,,0,\n", "out of range"),
    ("order-negative", ",deployment,-3,S,Text,,0,\n", "out of range"),
    ("id-superscript-two", "²,deployment,1,S,Text,,0,\n", "is not a whole number"),
    ("text-with-nul", ",deployment,1,S,Te\x00xt,,0,\n", None),
]


@pytest.mark.parametrize("case, row, message", ITEM_ROWS, ids=[r[0] for r in ITEM_ROWS])
def test_hostile_rows_of_a_template_items_sheet(logged_in, world, case, row, message):
    before = db_state()
    content = ("id,template,order,section,text,guidance,is_critical,domain\n" + row).encode()
    response = upload(logged_in, ITEMS_IMPORT, content, "items.csv", "csv")
    html = assert_no_crash(response)
    assert response.status_code == 200
    if message:
        assert message in html
    else:
        assert "Confirm import" in html  # the NUL is dropped, the row is fine
    assert db_state() == before


def test_a_template_cannot_pass_the_item_limit_through_an_import(logged_in, world, settings):
    template = ChecklistTemplate.objects.get(slug="deployment")
    settings.CHECKLIST_MAX_ITEMS = template.items.count() + 2
    rows = "".join(f",deployment,{900 + i},S,Extra {i},,0,\n" for i in range(5))
    content = ("id,template,order,section,text,guidance,is_critical,domain\n" + rows).encode()
    before = db_state()
    html = assert_no_crash(upload(logged_in, ITEMS_IMPORT, content, "items.csv", "csv"))
    assert "CHECKLIST_MAX_ITEMS" in html
    assert db_state() == before


@pytest.mark.parametrize("label", ["csv", "xlsx"])
def test_findings_export_with_formulas_and_control_characters(logged_in, world, label):
    response = export(logged_in, FINDINGS_EXPORT, label)
    assert response.status_code == 200
    if label == "csv":
        text = response.content.decode()
        assert "'=HYPERLINK(" in text and "'@SUM(A1:A9)" in text and "'-cmd|" in text
        assert "\x01" not in text and "\x07" not in text
        return
    assert response["Content-Type"] == XLSX_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    assert '\'=HYPERLINK("http://x","y")' in values
    assert not any(value.startswith(("=", "+", "-", "@")) for value in values)


@pytest.mark.parametrize("label", ["csv", "xlsx"])
def test_checklist_template_exports_escape_formulas(logged_in, world, label):
    template = ChecklistTemplate.objects.create(slug="evil", name="=1+1", description="@cmd \x01")
    ChecklistTemplateItem.objects.create(
        template=template, order=1, text='=HYPERLINK("x")', guidance="+2\x0b"
    )
    for url in (ITEMS_EXPORT, TEMPLATES_EXPORT):
        response = export(logged_in, url, label)
        assert response.status_code == 200
        if label == "csv":
            text = response.content.decode()
            assert ("'=HYPERLINK" in text) if url == ITEMS_EXPORT else ("'=1+1" in text and "'@cmd" in text)
            continue
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        values = [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
        assert not any(value.startswith(("=", "+", "@")) for value in values)
        assert any(value.startswith("'=") for value in values)
