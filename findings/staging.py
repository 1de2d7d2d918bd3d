"""The admin's scan report upload between its preview and its "Confirm import", on the shared
staging helper (`projects.staging`): the project, audit, format and name the preview used travel
in the signed token, and the confirmation reads them back from there."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest

from projects.models import Audit, Project

# The scan queue keeps confirmed large uploads for its worker with the same helper.
from projects.staging import STAGING_MAX_AGE, StagingError, discard, park, read_parked, stage, take

__all__ = ["STAGING_MAX_AGE", "StagingError", "discard", "park", "read_parked", "stage_scan", "take_scan"]

KIND = "findings.scan"


@dataclass
class StagedScan:
    project: Project
    audit: Audit | None
    format: str
    file_name: str
    content: bytes
    results: int = 0


def stage_scan(
    request: HttpRequest,
    *,
    content: bytes,
    project: Project,
    audit: Audit | None,
    format: str,
    file_name: str,
    results: int = 0,
) -> str:
    meta = {
        "project": project.pk,
        "audit": audit.pk if audit else None,
        "format": format,
        "file_name": file_name,
        "results": results,
    }
    return stage(request, content=content, kind=KIND, meta=meta)


def take_scan(request: HttpRequest, token: str) -> StagedScan:
    """The previewed upload of this session, removed from staging; StagingError otherwise."""
    staged = take(request, token, kind=KIND)
    meta = staged.meta
    project = Project.objects.filter(pk=meta["project"]).first()
    if project is None:
        raise StagingError("The project of this upload no longer exists.")
    audit = Audit.objects.filter(pk=meta["audit"]).first() if meta["audit"] else None
    return StagedScan(
        project=project,
        audit=audit,
        format=meta["format"],
        file_name=meta["file_name"],
        content=staged.content,
        results=int(meta.get("results") or 0),
    )
