"""docs/permissions.md, REST API sections, checked cell by cell."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from api.models import PersonalToken
from api.services import token_create, token_revoke
from checklists.models import ChecklistItem
from projects.models import Audit
from rescans.models import RescanRun
from rescans.services import project_rescan_request
from tests.permissions_world import build_side, shared_ids
from tests.test_permissions_matrix import ROLES, table

API_ROWS = table("## REST API endpoints")
CREDENTIAL_ROWS = table("## REST API credentials")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def world(db, admin, tech_lead, other_tech_lead, manager, auditor_user, project, other_project):
    sides = {}
    for tag, proj in (("A", project), ("B", other_project)):
        side = build_side(proj, tag)
        item = ChecklistItem.objects.create(checklist=side.checklist, text=f"Item {tag}", order=1)
        rescan = project_rescan_request(project_id=proj.pk, enqueue=False)
        # Finished, so the re-scan rows can start another one.
        RescanRun.objects.filter(pk=rescan.pk).update(state="failed", outcome="failed", error="test")
        Audit.objects.filter(pk=rescan.pk).update(status=Audit.Status.FAILED)
        side.ids.update(item=item.pk, rescan=rescan.pk)
        sides[tag] = side
    users = {"lead": tech_lead, "manager": manager, "auditor": auditor_user, "admin": admin}
    tokens = {role: token_create(user=user, name=f"{role} token")[1] for role, user in users.items()}
    return {"A": sides["A"], "B": sides["B"], "shared": shared_ids(), "users": users, "tokens": tokens}


def _fill(text: str, ids: dict[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda m: str(ids[m.group(1)]), text)


def _send(raw: str | None, method: str, url: str, body: str | None) -> int:
    headers = {"Authorization": f"Bearer {raw}"} if raw else {}
    with transaction.atomic():
        response = Client().generic(
            method, url, data=body or "", content_type="application/json", headers=headers
        )
        transaction.set_rollback(True)  # each role starts from the same world
    if not url.startswith("/api/v1/schema/") or response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), (url, response.content[:200])
    return response.status_code


@pytest.mark.parametrize("row", API_ROWS, ids=[row[0] for row in API_ROWS])
def test_api_cell(world, row):
    request, *expected = row
    method, path, *rest = request.split(" ", 2)
    body = rest[0] if rest else None

    def status(role: str | None, side: str) -> str:
        ids = {**world[side].ids, **world["shared"]}
        raw = world["tokens"][role] if role else None
        return str(_send(raw, method, _fill(path, ids), _fill(body, ids) if body else None))

    actual = {
        "anonymous": {status(None, "A"), status(None, "B")},
        "lead_own": {status("lead", "A")},
        "lead_other": {status("lead", "B")},
    }
    for role in ("manager", "auditor", "admin"):
        actual[role] = {status(role, "A"), status(role, "B")}

    assert actual == {role: {value} for role, value in zip(ROLES, expected, strict=True)}


@pytest.mark.parametrize("row", CREDENTIAL_ROWS, ids=[row[0] for row in CREDENTIAL_ROWS])
def test_api_credentials_cell(world, row):
    credentials, expected = row
    lead = world["users"]["lead"]
    client = Client(enforce_csrf_checks=True)
    headers: dict[str, str] = {}
    method, url, body = "GET", "/api/v1/projects/", None
    if credentials.startswith("the tech lead's personal token"):
        token, raw = token_create(user=lead, name="cell")
        headers["Authorization"] = f"Bearer {raw}"
        if credentials.endswith("expired"):
            past = timezone.now() - dt.timedelta(days=2)
            PersonalToken.objects.filter(pk=token.pk).update(
                created_at=past, expires_at=past + dt.timedelta(days=1)
            )
        elif credentials.endswith("revoked"):
            token_revoke(token=token)
        elif credentials.endswith("user deactivated"):
            lead.is_active = False
            lead.save()
        else:
            assert credentials == "the tech lead's personal token"
    elif credentials == "project A's CI token":
        headers["Authorization"] = f"Bearer {world['A'].raw_token}"
    elif credentials == "a Basic authorization header":
        headers["Authorization"] = "Basic bGVhZDpwYXNz"
    elif credentials.startswith("the tech lead's session"):
        client.force_login(lead)
        if "PATCH" in credentials:
            method, url = "PATCH", f"/api/v1/findings/{world['A'].ids['finding']}/"
            body = json.dumps({"status": "in_progress"})
            if credentials.endswith("with CSRF token"):
                client.get("/admin/")  # sets the CSRF cookie
                headers["X-CSRFToken"] = client.cookies["csrftoken"].value
    else:
        assert credentials == "none"

    response = client.generic(method, url, data=body or "", content_type="application/json", headers=headers)

    assert str(response.status_code) == expected, response.content
    assert response["Content-Type"].startswith("application/json")
    if response.status_code >= 400:
        assert json.loads(response.content)["error"]


def test_a_personal_token_never_opens_a_page(world):
    response = Client().get("/maturity/", headers={"Authorization": f"Bearer {world['tokens']['admin']}"})

    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_every_cell_of_the_api_spec_was_read():
    assert len(API_ROWS) >= 29
    assert all(len(row) == 7 for row in API_ROWS), [row for row in API_ROWS if len(row) != 7]
    assert all(re.fullmatch(r"\d{3}", cell) for row in API_ROWS for cell in row[1:])
    assert len(CREDENTIAL_ROWS) >= 10
    assert all(re.fullmatch(r"\d{3}", row[1]) for row in CREDENTIAL_ROWS)
