"""Uploaded reports waiting for the admin's "Confirm import" (between preview and import).

The file goes under MEDIA_ROOT/scan-staging/ with a random name; the session remembers which
staged files belong to this user, so nobody can confirm someone else's upload. Files older than
STAGING_MAX_AGE are removed at the next upload.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from projects.models import Audit, Project

SESSION_KEY = "findings_staged_imports"
STAGING_MAX_AGE = 24 * 3600
# A key as token_urlsafe(24) makes it: a key coming back from a task message names no other path.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")


class StagingError(Exception):
    pass


@dataclass
class Staged:
    project: Project
    audit: Audit | None
    format: str
    file_name: str
    content: bytes
    results: int = 0


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / "scan-staging"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _purge_old(folder: Path) -> None:
    limit = time.time() - STAGING_MAX_AGE
    for path in folder.glob("*.upload"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


def stage(
    request,
    *,
    content: bytes,
    project: Project,
    audit: Audit | None,
    format: str,
    file_name: str,
    results: int = 0,
) -> str:
    folder = _folder()
    _purge_old(folder)
    key = secrets.token_urlsafe(24)
    (folder / f"{key}.upload").write_bytes(content)
    staged = request.session.get(SESSION_KEY, {})
    staged[key] = {
        "project": project.pk,
        "audit": audit.pk if audit else None,
        "format": format,
        "file_name": file_name,
        "sha256": hashlib.sha256(content).hexdigest(),
        "results": results,
    }
    request.session[SESSION_KEY] = staged
    return key


def take(request, key: str) -> Staged:
    """The staged upload for this key, removed from staging. StagingError when it is gone."""
    staged = request.session.get(SESSION_KEY, {})
    meta = staged.pop(key, None) if key else None
    request.session[SESSION_KEY] = staged
    # Only a key this session staged names a file: nothing from the request reaches the path.
    path = _folder() / f"{key}.upload" if meta is not None else None
    if path is None or not path.is_file():
        raise StagingError(
            "This upload is no longer available (already imported, or expired). "
            "Please upload the report again."
        )
    content = path.read_bytes()
    path.unlink(missing_ok=True)
    if hashlib.sha256(content).hexdigest() != meta["sha256"]:
        raise StagingError("The staged upload changed since the preview. Please upload it again.")
    project = Project.objects.filter(pk=meta["project"]).first()
    audit = Audit.objects.filter(pk=meta["audit"]).first() if meta["audit"] else None
    if project is None:
        raise StagingError("The project of this upload no longer exists.")
    return Staged(
        project=project,
        audit=audit,
        format=meta["format"],
        file_name=meta["file_name"],
        content=content,
        results=int(meta.get("results") or 0),
    )


def park(content: bytes) -> str:
    """Keep a confirmed upload for the worker that imports it; returns its key."""
    key = secrets.token_urlsafe(24)
    (_folder() / f"{key}.upload").write_bytes(content)
    return key


def read_parked(key: str) -> bytes:
    if not KEY_PATTERN.fullmatch(key or ""):
        raise StagingError("The queued upload has an invalid key.")
    try:
        return (_folder() / f"{key}.upload").read_bytes()
    except FileNotFoundError:
        raise StagingError(
            "The queued upload is no longer available (removed after a day in the queue). "
            "Please upload the report again."
        ) from None


def discard(key: str) -> None:
    if KEY_PATTERN.fullmatch(key or ""):
        (_folder() / f"{key}.upload").unlink(missing_ok=True)
