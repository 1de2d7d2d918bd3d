"""CI upload: POST /api/projects/<slug>/scans/ with a per-project bearer token.

The view is `integrations.api.scan_upload` (it answers with the CI gate too); this module does
the authentication and the import, which belong to findings."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

from findings.importers import FORMAT_CHOICES, ScanFormatError
from findings.importers.base import clean_text
from findings.models import ImportRun
from findings.services.scans import scan_import
from findings.services.tokens import api_token_authenticate
from projects.models import Audit
from projects.params import parse_id
from projects.uploads import upload_size_error

FORMATS = {value for value, _label in FORMAT_CHOICES}
TRUE = {"1", "true", "yes", "on"}
# Room for the multipart boundaries and the small form fields around the file.
MULTIPART_OVERHEAD = 64 * 1024


def _error(status: int, message: str, **headers) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def import_run_json(run: ImportRun) -> dict:
    data = {
        "id": run.pk,
        "project": run.project.slug,
        "audit": run.audit_id,
        "format": run.format,
        "tool": run.tool,
        "file_name": run.file_name,
        "sha256": run.sha256,
        "status": run.status,
        "counts": {
            "created": run.created_count,
            "still_open": run.still_open_count,
            "reopened": run.reopened_count,
            "resolved": run.resolved_count,
            "unchanged_closed": run.unchanged_closed_count,
            "errors": run.error_count,
        },
        "duration_ms": run.duration_ms,
        "metrics": run.metrics,
    }
    if getattr(run, "preview", None) is not None and run.status == ImportRun.Status.DRY_RUN:
        data["preview"] = run.preview
    return data


def upload_import(request, slug: str) -> ImportRun | JsonResponse:
    """The CI upload's work: the token checked, the report imported. Returns the import run, or
    the JSON error to answer. The view (`integrations.api.scan_upload`, which adds the CI gate)
    is above: it may read what changed since the previous import."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return _error(
            401,
            'missing bearer token: send "Authorization: Bearer <token>"',
            WWW_Authenticate='Bearer realm="auditor"',
        )
    token = api_token_authenticate(raw=raw.strip())
    if token is None:
        return _error(
            401, "invalid or revoked token", WWW_Authenticate='Bearer realm="auditor", error="invalid_token"'
        )
    if token.project.slug != slug:
        return _error(403, f"this token is scoped to another project, not {slug!r}")
    project = token.project
    limit = settings.AUDITOR_MAX_UPLOAD_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + MULTIPART_OVERHEAD:
        # Refused before the body is read, so a huge upload is never spooled to disk.
        return _error(
            400,
            f"the request is {declared:,} bytes, over the {limit:,}-byte limit (AUDITOR_MAX_UPLOAD_BYTES)",
        )
    upload = request.FILES.get("file")
    if upload is None:
        return _error(400, 'no report: send the file as the multipart form field "file"')
    if too_big := upload_size_error(upload.size, name=upload.name):
        return _error(400, too_big)
    report_format = request.POST.get("format", "auto") or "auto"
    if report_format not in FORMATS:
        return _error(
            400,
            f"unknown format {clean_text(report_format[:40])!r} "
            f"(expected one of {', '.join(sorted(FORMATS))})",
        )
    audit = None
    if request.POST.get("audit"):
        audit_id = request.POST["audit"]
        pk = parse_id(audit_id)
        audit = Audit.objects.filter(pk=pk, project=project).first() if pk is not None else None
        if audit is None:
            return _error(400, f"project {project.slug} has no audit {clean_text(audit_id[:40])!r}")
    dry_run = request.POST.get("dry_run", "").lower() in TRUE
    try:
        run = scan_import(
            project=project,
            content=upload.read(),
            file_name=upload.name or "",
            format=report_format,
            audit=audit,
            token=token,
            dry_run=dry_run,
        )
    except ScanFormatError as exc:
        return _error(400, str(exc))
    return run
