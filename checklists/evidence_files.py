"""Evidence files: checked, hashed and stored under a generated name; kept as revisions.

Accepted types, decided from the content (the client's name and type are not trusted):

- PDF, PNG, JPEG: by their signature;
- ZIP (an archive of reports): by its signature; auditor never opens it;
- UTF-8 text without NUL bytes: JSON when it parses as JSON, XML (JUnit, coverage) when it
  starts with an XML declaration or element, CSV when its name ends in ".csv", plain text
  otherwise. HTML and SVG are refused: a browser would run their scripts.

Anything else is refused with the type it looks like. The size limit is
AUDITOR_MAX_EVIDENCE_BYTES (checked by projects.uploads before the content is read). The file is
stored once as `checklist-evidence/<random>.<ext>`, served only as an attachment under a
generated name (`checklists/evidence_views.py`).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max

from checklists.item_changes import ensure_editable
from checklists.models import ChecklistItem, EvidenceFile
from projects.uploads import upload_size_error

EVIDENCE_LIMIT = "AUDITOR_MAX_EVIDENCE_BYTES"
STORAGE_DIR = "checklist-evidence"

# content type -> stored extension
ACCEPTED_TYPES = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/zip": ".zip",
    "application/json": ".json",
    "application/xml": ".xml",
    "text/csv": ".csv",
    "text/plain": ".txt",
}
ACCEPTED_HUMAN = "PDF, PNG, JPEG, ZIP, or UTF-8 text (TXT, CSV, JSON, XML)"

_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),  # an empty archive
)
# Recognised only to name them in the refusal.
_REFUSED_SIGNATURES = (
    (b"MZ", "a Windows executable"),
    (b"\x7fELF", "a Linux executable"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
)
_MARKUP = re.compile(rb"<\s*(!doctype\s+html|html|svg|script)\b", re.IGNORECASE)
_XML_START = re.compile(rb"^\s*<(\?xml|[A-Za-z_])")


@dataclass(frozen=True)
class StoredEvidence:
    """A checked file, written once to storage; rows point at it."""

    name: str  # storage name
    content_type: str
    size: int
    sha256: str
    original_name: str


def sniff_content_type(data: bytes, *, name: str = "") -> str:
    """The accepted content type of `data`, or ValidationError saying what it looks like."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    for signature, what in _REFUSED_SIGNATURES:
        if data.startswith(signature):
            raise ValidationError(f"This file looks like {what}; evidence files may be {ACCEPTED_HUMAN}.")
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if b"\x00" in text:
        raise ValidationError(
            f"This file is binary of an unknown type; evidence files may be {ACCEPTED_HUMAN}."
        )
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(
            f"This file is neither a known type nor UTF-8 text; evidence files may be {ACCEPTED_HUMAN}."
        ) from None
    if _MARKUP.search(text[:4096]):
        raise ValidationError("HTML and SVG files are not accepted as evidence: save the page as PDF.")
    stripped = decoded.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            json.loads(decoded)
        except ValueError:
            pass
        else:
            return "application/json"
    if _XML_START.match(text):
        return "application/xml"
    if name.lower().endswith(".csv"):
        return "text/csv"
    return "text/plain"


def _read(upload) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):
        return b"".join(upload.chunks())
    return upload.read()


def _original_name(upload) -> str:
    return (getattr(upload, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1][:255]


def evidence_check(upload) -> tuple[bytes, str]:
    """The content and sniffed type of an upload, or ValidationError (size, emptiness, type)."""
    original = _original_name(upload)
    size = getattr(upload, "size", None)
    if size is not None:
        refused = upload_size_error(size, name=original, limit_setting=EVIDENCE_LIMIT)
        if refused:
            raise ValidationError(refused + ".")
    data = _read(upload)
    refused = upload_size_error(len(data), name=original, limit_setting=EVIDENCE_LIMIT)
    if refused:
        raise ValidationError(refused + ".")
    if not data:
        raise ValidationError(f"{original or 'The file'}: the file is empty.")
    return data, sniff_content_type(data, name=original)


def evidence_store(upload) -> StoredEvidence:
    """Check an uploaded file (size, type) and write it under a generated name.

    Raises ValidationError naming the problem; nothing is stored then.
    """
    original = _original_name(upload)
    data, content_type = evidence_check(upload)
    name = default_storage.save(
        f"{STORAGE_DIR}/{uuid.uuid4().hex}{ACCEPTED_TYPES[content_type]}", ContentFile(data)
    )
    return StoredEvidence(
        name=name,
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        original_name=original,
    )


def evidence_discard(stored: StoredEvidence) -> None:
    """Delete a stored file no row points at (its transaction failed)."""
    if not EvidenceFile.objects.filter(file=stored.name).exists():
        default_storage.delete(stored.name)


def evidence_rows_add(*, items: list[ChecklistItem], stored: StoredEvidence, user) -> list[EvidenceFile]:
    """One new revision per item pointing at the stored file. Call inside a transaction with the
    items locked: the revision number is the item's highest plus one."""
    latest = dict(
        EvidenceFile.objects.filter(item__in=items)
        .values("item_id")
        .annotate(top=Max("revision"))
        .values_list("item_id", "top")
    )
    uploader = user if user is not None and user.is_authenticated else None
    rows = [
        EvidenceFile(
            item=item,
            revision=latest.get(item.pk, 0) + 1,
            file=stored.name,
            original_name=stored.original_name,
            content_type=stored.content_type,
            size=stored.size,
            sha256=stored.sha256,
            uploaded_by=uploader,
        )
        for item in items
    ]
    return EvidenceFile.objects.bulk_create(rows)


def evidence_file_add(*, item: ChecklistItem, upload, user) -> EvidenceFile:
    """Attach a file to one item as its next revision (earlier revisions stay)."""
    ensure_editable(item.checklist)
    stored = evidence_store(upload)
    try:
        with transaction.atomic():
            locked = ChecklistItem.objects.select_for_update().get(pk=item.pk)
            (row,) = evidence_rows_add(items=[locked], stored=stored, user=user)
    except BaseException:
        evidence_discard(stored)
        raise
    return row


def download_name(row: EvidenceFile) -> str:
    """The generated name a download carries (never the uploaded one)."""
    return f"evidence-item{row.item_id}-rev{row.revision}{ACCEPTED_TYPES.get(row.content_type, '.bin')}"
