"""Evidence files: type decided from the content, size limit, SHA-256 and size kept, every
upload a new revision, and downloads only as attachments under a generated name."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from checklists import services
from checklists.evidence_files import sniff_content_type
from checklists.models import EvidenceFile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20


@pytest.fixture
def item(make_checklist, project, tech_lead, media):
    return make_checklist(project, owner=tech_lead).items.first()


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"%PDF-1.7\n...", "x.pdf", "application/pdf"),
        (PNG, "shot.png", "image/png"),
        (JPEG, "photo.jpg", "image/jpeg"),
        (b"PK\x03\x04rest", "reports.zip", "application/zip"),
        (b'{"coverage": 84.2}', "coverage.json", "application/json"),
        (b'<?xml version="1.0"?><testsuite tests="3"/>', "junit.xml", "application/xml"),
        (b"<coverage line-rate='0.8'/>", "coverage.xml", "application/xml"),
        (b"name,result\nlogin,ok\n", "results.csv", "text/csv"),
        ("Résultats: tout va bien\n".encode(), "notes.txt", "text/plain"),
        (b"{not json", "broken.json", "text/plain"),
        # The client's name does not decide: a PDF called .txt is a PDF.
        (b"%PDF-1.4", "innocent.txt", "application/pdf"),
    ],
)
def test_accepted_types_are_decided_from_the_content(content, name, expected):
    assert sniff_content_type(content, name=name) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00", "Windows executable"),
        (b"\x7fELF\x02", "Linux executable"),
        (b"GIF89a", "GIF image"),
        (b"<!DOCTYPE html><html><script>x</script>", "HTML and SVG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "HTML and SVG"),
        (b"\x00\x01\x02\x03binary", "binary of an unknown type"),
        (b"\xff\xfe\xfd latin garbage \xe9", "neither a known type nor UTF-8"),
    ],
)
def test_other_types_are_refused_with_a_clear_message(content, message):
    with pytest.raises(ValidationError, match=message):
        sniff_content_type(content, name="evidence.pdf")


def test_an_upload_keeps_its_hash_and_size_and_is_stored_under_a_generated_name(item, tech_lead, media):
    content = b"%PDF-1.4 the CI report"
    upload = SimpleUploadedFile("../../etc/passwd report.pdf", content, content_type="text/html")
    services.answer_item(item, user=tech_lead, state="done", evidence_file=upload)
    row = EvidenceFile.objects.get(item=item)
    assert (row.revision, row.size, row.sha256) == (1, len(content), hashlib.sha256(content).hexdigest())
    assert row.content_type == "application/pdf"  # sniffed, not the client's text/html
    assert row.original_name == "passwd report.pdf"
    assert row.file.name.startswith("checklist-evidence/") and "passwd" not in row.file.name
    stored = [p for p in media.rglob("*") if p.is_file()]
    assert [p.read_bytes() for p in stored] == [content]
    assert all(p.is_relative_to(media / "checklist-evidence") for p in stored)


def test_a_new_upload_adds_a_revision_and_keeps_the_old_one(item, tech_lead, media):
    services.evidence_file_add(item=item, upload=SimpleUploadedFile("a.txt", b"first"), user=tech_lead)
    services.answer_item(
        item, user=tech_lead, state="done", evidence_file=SimpleUploadedFile("a.txt", b"second")
    )
    rows = list(EvidenceFile.objects.filter(item=item).order_by("revision"))
    assert [(r.revision, r.file.read()) for r in rows] == [(1, b"first"), (2, b"second")]
    assert rows[0].sha256 == hashlib.sha256(b"first").hexdigest()
    assert rows[0].file.name != rows[1].file.name


def test_a_file_over_the_limit_is_refused_and_nothing_is_written(item, tech_lead, media, settings):
    settings.AUDITOR_MAX_EVIDENCE_BYTES = 10
    with pytest.raises(ValidationError, match="over the 10-byte limit .AUDITOR_MAX_EVIDENCE_BYTES."):
        services.answer_item(
            item, user=tech_lead, state="done", evidence_file=SimpleUploadedFile("big.txt", b"x" * 11)
        )
    item.refresh_from_db()
    assert item.state == "todo"
    assert not EvidenceFile.objects.exists()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_a_refused_type_leaves_the_answer_unsaved(item, tech_lead, media):
    with pytest.raises(ValidationError, match="HTML"):
        services.answer_item(
            item, user=tech_lead, state="done", evidence_file=SimpleUploadedFile("x.pdf", b"<html>")
        )
    item.refresh_from_db()
    assert item.state == "todo"
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_an_empty_file_is_refused(item, tech_lead):
    with pytest.raises(ValidationError, match="empty"):
        services.evidence_file_add(item=item, upload=SimpleUploadedFile("a.txt", b""), user=tech_lead)


def test_the_download_is_an_attachment_under_a_generated_name(item, tech_lead, media):
    services.evidence_file_add(
        item=item, upload=SimpleUploadedFile("<script>.pdf", b"%PDF-1.4 x"), user=tech_lead
    )
    row = EvidenceFile.objects.get(item=item)
    client = Client()
    client.force_login(tech_lead)
    response = client.get(row.get_download_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 x"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="evidence-item{item.pk}-rev1.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_download_needs_a_login_and_the_project(item, tech_lead, other_tech_lead, manager, media):
    row = services.evidence_file_add(item=item, upload=SimpleUploadedFile("a.txt", b"ok"), user=tech_lead)
    url = row.get_download_url()
    assert "/login/" in Client().get(url)["Location"]
    other = Client()
    other.force_login(other_tech_lead)
    assert other.get(url).status_code == 403
    reader = Client()
    reader.force_login(manager)
    assert reader.get(url).status_code == 200


def test_a_missing_stored_file_answers_404(item, tech_lead, media):
    row = services.evidence_file_add(item=item, upload=SimpleUploadedFile("a.txt", b"ok"), user=tech_lead)
    (media / row.file.name).unlink()
    client = Client()
    client.force_login(tech_lead)
    assert client.get(row.get_download_url()).status_code == 404
