"""POST /api/projects/<slug>/scans/: the CI upload (findings.api), answered with the CI gate."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from findings.api import import_run_json, upload_import
from findings.models import ImportRun
from integrations.gate import gate_evaluate


@csrf_exempt  # bearer-token API: no cookie session is used, so there is nothing to forge
@login_not_required  # the per-project bearer token is checked instead (401 without it)
@require_POST
def scan_upload(request, slug: str):
    outcome = upload_import(request, slug)
    if isinstance(outcome, JsonResponse):
        return outcome
    data = import_run_json(outcome)
    if outcome.status == ImportRun.Status.DRY_RUN:
        data["gate"] = None  # a dry run changes nothing, so there is nothing to judge
        return JsonResponse(data, status=200, encoder=DjangoJSONEncoder)
    data["gate"] = gate_evaluate(outcome)
    return JsonResponse(data, status=201, encoder=DjangoJSONEncoder)
