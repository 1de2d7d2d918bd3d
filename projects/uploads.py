"""The one size limit of uploaded files (scanner reports, Markdown audit reports), whatever the
way in (admin form, API, command): AUDITOR_MAX_UPLOAD_BYTES, checked before anything is parsed."""

from __future__ import annotations

from django.conf import settings


def upload_size_error(size: int, *, name: str = "") -> str | None:
    """The message refusing a file of `size` bytes, or None when it is within the limit."""
    limit: int = settings.AUDITOR_MAX_UPLOAD_BYTES
    if size <= limit:
        return None
    prefix = f"{name}: " if name else ""
    return f"{prefix}the file is {size:,} bytes, over the {limit:,}-byte limit (AUDITOR_MAX_UPLOAD_BYTES)"
