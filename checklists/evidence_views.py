"""Downloading an evidence file: for whoever sees the item's project, always as an attachment
under a generated name, with the type sniffed at upload, never the client's name or type."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from checklists.evidence_files import download_name
from checklists.models import EvidenceFile
from projects import access


@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    row = get_object_or_404(EvidenceFile.objects.select_related("item__checklist__project"), pk=pk)
    if not request.user.has_perm("checklists.view_evidencefile") or not access.can_see_project(
        request.user, row.item.checklist.project
    ):
        raise PermissionDenied("This evidence belongs to a project you do not work on.")
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404("The stored file of this evidence is missing.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=download_name(row), content_type=row.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Opened by mistake in a tab, it can run nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
