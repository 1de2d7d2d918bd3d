"""docs/permissions.md, checked cell by cell: the tables there are the expected answers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib import admin as django_admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from findings.models import ApiToken
from findings.services.tokens import api_token_revoke
from tests.permissions_world import build_side, shared_ids

DOC = Path(__file__).resolve().parents[1] / "docs" / "permissions.md"
ROLES = ("anonymous", "lead_own", "lead_other", "manager", "auditor", "admin")
BANDIT_REPORT = b'{"errors": [], "generated_at": "2026-01-01T00:00:00Z", "metrics": {}, "results": []}'


def table(heading: str) -> list[list[str]]:
    """The rows of the first Markdown table after `heading` in docs/permissions.md."""
    text = DOC.read_text(encoding="utf-8").split(heading, 1)[1]
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [cell.strip().replace("`", "") for cell in line.strip().strip("|").split("|")]
        if set(cells[0]) <= {"-", " "}:
            continue
        rows.append(cells)
    return rows[1:]  # without the header


PAGE_ROWS = table("## Pages, admin pages, uploads and exports")
ACTION_ROWS = table("## Admin actions")
UPLOAD_ROWS = table("## CI upload endpoint")
API_ROWS = table("## REST API endpoints")  # its cells: api/tests/test_permissions_api.py


def answer(response) -> str:
    if response.status_code == 302 and "/admin/login/" in response["Location"]:
        return "login"
    return str(response.status_code)


@pytest.fixture
def world(
    db,
    admin,
    tech_lead,
    other_tech_lead,
    manager,
    auditor_user,
    project,
    other_project,
    monkeypatch,
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "world-media"  # the evidence files of the two sides
    # "Re-scan now" must not queue real work here: only the permission decision is under test.
    from rescans import views as scanning_views

    monkeypatch.setattr(scanning_views, "project_rescan_request", lambda **kwargs: 1)
    users = {"lead": tech_lead, "manager": manager, "auditor": auditor_user, "admin": admin}
    clients = {None: Client()}
    for user in users.values():
        clients[user.pk] = Client()
        clients[user.pk].force_login(user)
    return {
        "A": build_side(project, "A"),
        "B": build_side(other_project, "B"),
        "shared": shared_ids(),
        "users": users,
        "clients": clients,
    }


def request_as(world, user, method: str, url: str):
    client = world["clients"][user.pk if user is not None else None]
    return client.get(url) if method == "GET" else client.post(url)


def _pattern_regex(path: str) -> str:
    return re.sub(r"\{[^}]+\}|<[^>]+>", "X", path.lstrip("/"))


def test_the_spec_has_a_row_for_every_url_that_is_not_a_standard_admin_page():
    from django.urls import URLPattern, URLResolver, get_resolver

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)

    documented = {_pattern_regex(row[0].split()[1]) for row in PAGE_ROWS} | {"api/projects/X/scans/"}
    documented |= {_pattern_regex(row[0].split()[1]) for row in API_ROWS}
    documented.add("api/v1/^.*$")  # any other /api/v1/ path: a JSON 404 (api/tests/test_errors.py)
    standard = re.compile(
        r"^admin/(r/|jsi18n/|login/|logout/|password_change|autocomplete/|\(\?P|\^|"
        r"auth/user/X/password/|"
        r"[a-z_]+/$|[a-z_]+/[a-z_]+/($|add/|X/($|change/|delete/|history/)))"
    )
    missing = [
        p
        for p in walk(get_resolver().url_patterns)
        if p and not standard.match(_pattern_regex(p)) and _pattern_regex(p) not in documented
    ]
    assert missing == [], "\n".join(missing)


def test_the_spec_has_a_row_for_every_admin_model_with_a_changelist():
    documented = {row[0].split()[1] for row in PAGE_ROWS}
    for model in django_admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        if model._meta.app_label in ("axes", "django_celery_beat", "auth"):
            continue  # admin-only apps: one representative row each is in the table
        if model._meta.label in ("checklists.ChecklistTemplateItem",):
            continue  # same rules as its template
        assert url in documented, f"{url} is missing from docs/permissions.md"


@pytest.mark.parametrize("row", PAGE_ROWS, ids=[row[0] for row in PAGE_ROWS])
def test_page_cell(world, row):
    request, *expected = row
    method, template = request.split(" ")[:2]
    a, b = world["A"], world["B"]
    users = world["users"]

    def url(side):
        return template.format(**side.ids, **world["shared"])

    actual = {
        "anonymous": {answer(request_as(world, None, method, url(side))) for side in (a, b)},
        "lead_own": {answer(request_as(world, users["lead"], method, url(a)))},
        "lead_other": {answer(request_as(world, users["lead"], method, url(b)))},
    }
    for role in ("manager", "auditor", "admin"):
        actual[role] = {answer(request_as(world, users[role], method, url(side))) for side in (a, b)}

    assert {role: actual[role] for role in ROLES} == {
        role: {value} for role, value in zip(ROLES, expected, strict=True)
    }


@pytest.mark.parametrize("row", ACTION_ROWS, ids=[row[0] for row in ACTION_ROWS])
def test_action_cell(world, row):
    name, *expected = row
    model, action = name.split(": ")
    app_label, model_name = model.split(".")
    changelist = f"/admin/{app_label}/{model_name}/"
    actual = []
    for role in ("lead", "manager", "auditor", "admin"):
        response = request_as(world, world["users"][role], "GET", changelist)
        assert response.status_code in (200, 403)
        form = response.context.get("action_form") if response.status_code == 200 else None
        choices = {value for value, _label in form.fields["action"].choices} if form else set()
        actual.append("offered" if action in choices else "-")

    assert actual == expected


def test_a_tech_lead_cannot_revoke_another_projects_token_by_posting_its_id(world):
    other_token = world["B"].token
    client = Client()
    client.force_login(world["users"]["lead"])

    client.post("/admin/findings/apitoken/", {"action": "revoke", "_selected_action": [other_token.pk]})

    other_token.refresh_from_db()
    assert other_token.revoked_at is None


@pytest.mark.parametrize("row", UPLOAD_ROWS, ids=[row[0] for row in UPLOAD_ROWS])
def test_upload_cell(world, row):
    credentials, expected = row
    a, b = world["A"], world["B"]
    client = Client()
    headers = {}
    if credentials == "project A's token":
        headers["Authorization"] = f"Bearer {a.raw_token}"
    elif credentials == "project B's token":
        headers["Authorization"] = f"Bearer {b.raw_token}"
    elif credentials == "project A's token, revoked":
        api_token_revoke(token=ApiToken.objects.get(pk=a.token.pk))
        headers["Authorization"] = f"Bearer {a.raw_token}"
    elif credentials == "a logged-in admin's session, no token":
        client.force_login(world["users"]["admin"])
    else:
        assert credentials == "none"

    response = client.post(
        f"/api/projects/{a.project.slug}/scans/",
        {"file": SimpleUploadedFile("bandit.json", BANDIT_REPORT)},
        headers=headers,
    )

    assert str(response.status_code) == expected, response.content


def test_a_token_never_opens_a_page(world):
    a = world["A"]

    response = Client().get(
        f"/projects/{a.project.slug}/", headers={"Authorization": f"Bearer {a.raw_token}"}
    )

    assert answer(response) == "login"


def test_the_portfolio_csv_of_a_tech_lead_holds_only_their_projects(world):
    response = request_as(world, world["users"]["lead"], "GET", "/maturity/portfolio.csv")
    body = b"".join(response.streaming_content if response.streaming else [response.content]).decode()

    assert world["A"].project.name in body
    assert world["B"].project.name not in body


def test_the_findings_export_of_a_tech_lead_holds_only_their_projects(world):
    client = Client()
    client.force_login(world["users"]["lead"])
    form = client.get("/admin/findings/finding/export/").context["form"]
    csv_format = next(value for value, label in form.fields["format"].choices if label == "csv")
    data = {"resource": "0", "format": csv_format}
    data.update({name: "on" for name in form.fields if name.startswith("findingresource_")})

    response = client.post("/admin/findings/finding/export/", data)
    body = b"".join(response.streaming_content) if response.streaming else response.content

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert b"Finding A" in body
    assert b"Finding B" not in body


def test_an_uploaded_file_name_is_never_used_as_a_path(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client()
    client.force_login(world["users"]["auditor"])
    hostile = "../../../escaped-report.json"
    before = {p for p in tmp_path.rglob("*") if p.is_file()}  # the world's own evidence files

    response = client.post(
        "/admin/findings/importrun/upload/",
        {
            "project": world["A"].project.pk,
            "format": "auto",
            "file": SimpleUploadedFile(hostile, BANDIT_REPORT),
        },
    )

    assert response.status_code == 200
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p not in before]
    assert written, "the preview step stages the upload"
    assert all(p.is_relative_to(settings.MEDIA_ROOT / "scan-staging") for p in written)
    assert all("escaped" not in p.name for p in written)
    assert not list(tmp_path.parent.glob("escaped-report.json"))


def test_no_url_serves_uploaded_files(world, settings):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(f"/{settings.MEDIA_URL.strip('/') or 'media'}/scan-staging/x.upload")


def test_every_cell_of_the_spec_was_read():
    assert len(PAGE_ROWS) >= 50
    assert all(len(row) == 7 for row in PAGE_ROWS), [row for row in PAGE_ROWS if len(row) != 7]
    assert all(len(row) == 5 for row in ACTION_ROWS)
    assert all(re.fullmatch(r"\d{3}", row[1]) for row in UPLOAD_ROWS)
