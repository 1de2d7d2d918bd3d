"""The size limits of uploaded files, checked in one place before anything is parsed, whatever the
way in (admin form, API, command).

Scanner reports: AUDITOR_MAX_UPLOAD_BYTES (machine output, parsed in linear time, large uploads
import in a worker). Markdown audit reports: AUDITOR_MAX_REPORT_BYTES, much smaller: a
hand-written report is a few hundred kilobytes, and reading one costs about two seconds per
megabyte inside the request, so a larger file would hold a web worker past its timeout."""

from __future__ import annotations

from django.conf import settings

SCAN_LIMIT = "AUDITOR_MAX_UPLOAD_BYTES"
REPORT_LIMIT = "AUDITOR_MAX_REPORT_BYTES"


def upload_size_error(size: int, *, name: str = "", limit_setting: str = SCAN_LIMIT) -> str | None:
    """The message refusing a file of `size` bytes, or None when it is within the limit."""
    limit: int = getattr(settings, limit_setting)
    if size <= limit:
        return None
    prefix = f"{name}: " if name else ""
    return f"{prefix}the file is {size:,} bytes, over the {limit:,}-byte limit ({limit_setting})"
