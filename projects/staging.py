"""Preview, then confirm: the one staging helper of every upload.

An upload is previewed (a dry run) before anything is written; between the preview and the
confirmation its bytes wait here. Every upload uses it: the scan report upload, the Markdown
report upload, the spreadsheet imports (findings triage, checklist templates, through
`projects.spreadsheets.StagedFileStorage`) and the background upload jobs (`projects.upload_jobs`).

- The file goes under MEDIA_ROOT/scan-staging/ with a random name (the uploaded name is never a
  path); files older than STAGING_MAX_AGE are removed at the next upload.
- `stage` returns a signed token naming the file, the kind of upload, the file's hash and what
  the confirmation needs (`meta`). The confirmation form carries the token back: a token
  changed in the browser is refused ("altered"), an expired one too, and the file read back
  must have the hash that was previewed.
- The session remembers which staged files it previewed: nobody confirms someone else's upload,
  and a confirmation cannot be replayed (`take` removes the file).
- `park` / `read_parked` / `discard` keep a file for a worker (a key travels in the task
  message or on a job row; nothing from a request reaches the path).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest

FOLDER = "scan-staging"  # the name it always had: files queued before an upgrade stay found
SESSION_KEY = "staged_uploads"
SIGNING_SALT = "projects.staging"
STAGING_MAX_AGE = 24 * 3600
# A key as token_urlsafe(24) makes it: a key coming back from a task or a token names no other path.
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{32}")

GONE = "This upload is no longer available (already imported, or expired). Please upload the file again."


class StagingError(Exception):
    """The staged upload cannot be used; the message says why and what to do."""


@dataclass
class StagedUpload:
    key: str
    kind: str
    content: bytes
    meta: dict[str, Any] = field(default_factory=dict)


def _folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(key: str) -> Path:
    if not KEY_PATTERN.fullmatch(key or ""):
        raise StagingError("The upload has an invalid key.")
    return _folder() / f"{key}.upload"


def _purge_old(folder: Path) -> None:
    limit = time.time() - STAGING_MAX_AGE
    for path in folder.glob("*.upload"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            pass


# --- files kept for a worker or a confirmation -------------------------------------------


def park(content: bytes) -> str:
    """Keep `content` under a new random key (old files are purged first); returns the key."""
    folder = _folder()
    _purge_old(folder)
    key = secrets.token_urlsafe(24)
    (folder / f"{key}.upload").write_bytes(content)
    return key


def read_parked(key: str) -> bytes:
    try:
        return _path(key).read_bytes()
    except FileNotFoundError:
        raise StagingError(
            "The upload is no longer available (files are kept for a day). Please upload it again."
        ) from None


def discard(key: str) -> None:
    if KEY_PATTERN.fullmatch(key or ""):
        (_folder() / f"{key}.upload").unlink(missing_ok=True)


# --- tokens: what a confirmation form carries ----------------------------------------------


def sign(*, key: str, kind: str, content: bytes, meta: dict[str, Any] | None = None) -> str:
    return signing.dumps(
        {"key": key, "kind": kind, "sha256": hashlib.sha256(content).hexdigest(), "meta": meta or {}},
        salt=SIGNING_SALT,
        compress=True,
    )


def unsign(token: str, *, kind: str) -> dict[str, Any]:
    """The token's data (key, kind, sha256, meta); StagingError when altered, expired or of
    another kind of upload."""
    try:
        data: dict[str, Any] = signing.loads(token or "", salt=SIGNING_SALT, max_age=STAGING_MAX_AGE)
    except signing.SignatureExpired:
        raise StagingError("The preview is over a day old; upload the file again.") from None
    except signing.BadSignature:
        raise StagingError("The preview was altered; upload the file again.") from None
    if data.get("kind") != kind or not KEY_PATTERN.fullmatch(str(data.get("key", ""))):
        raise StagingError("The preview was altered; upload the file again.")
    return data


def read_signed(token: str, *, kind: str) -> bytes:
    """The staged file a token names, checked against the hash the token carries."""
    data = unsign(token, kind=kind)
    content = read_parked(data["key"])
    if hashlib.sha256(content).hexdigest() != data["sha256"]:
        raise StagingError("The staged upload changed since the preview. Please upload it again.")
    return content


# --- the session's own previews -----------------------------------------------------------


def remember(request: HttpRequest, token: str, *, kind: str) -> None:
    """Mark the file a token names as previewed by this session (only it may confirm it)."""
    key = unsign(token, kind=kind)["key"]
    owned = {k: v for k, v in request.session.get(SESSION_KEY, {}).items() if _path(k).exists()}
    owned[key] = kind
    request.session[SESSION_KEY] = owned


def owns(request: HttpRequest, token: str, *, kind: str) -> bool:
    try:
        key = unsign(token, kind=kind)["key"]
    except StagingError:
        return False
    return request.session.get(SESSION_KEY, {}).get(key) == kind


def forget(request: HttpRequest, token: str, *, kind: str) -> None:
    """The confirmation was used: the session may not use the token again."""
    owned = request.session.get(SESSION_KEY, {})
    try:
        key = unsign(token, kind=kind)["key"]
    except StagingError:
        return
    if owned.pop(key, None) is not None:
        request.session[SESSION_KEY] = owned


def stage(request: HttpRequest, *, content: bytes, kind: str, meta: dict[str, Any] | None = None) -> str:
    """Keep a previewed upload until its confirmation; returns the token the form carries."""
    token = sign(key=park(content), kind=kind, content=content, meta=meta)
    remember(request, token, kind=kind)
    return token


def take(request: HttpRequest, token: str, *, kind: str) -> StagedUpload:
    """The staged upload of a confirmation, removed from staging (a confirmation is used once).
    StagingError with a clear message when the token was altered, the upload is not this
    session's, or it is gone."""
    data = unsign(token, kind=kind)
    if not owns(request, token, kind=kind):
        raise StagingError(GONE)
    forget(request, token, kind=kind)
    try:
        content = read_parked(data["key"])
    except StagingError:
        raise StagingError(GONE) from None
    discard(data["key"])
    if hashlib.sha256(content).hexdigest() != data["sha256"]:
        raise StagingError("The staged upload changed since the preview. Please upload it again.")
    return StagedUpload(key=data["key"], kind=kind, content=content, meta=data["meta"])
