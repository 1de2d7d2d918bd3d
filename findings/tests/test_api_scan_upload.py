"""POST /api/projects/<slug>/scans/: bearer tokens scoped to one project, JSON in and out."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from findings.models import ApiToken, Finding, ImportRun
from findings.services.tokens import api_token_create, api_token_revoke
from findings.tests.helpers import fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(project, tech_lead):
    return api_token_create(project=project, name="CI", created_by=tech_lead)


def upload(client, slug, raw=None, name="bandit_v1.json", content=None, **data):
    headers = {"Authorization": f"Bearer {raw}"} if raw else {}
    payload = {"file": SimpleUploadedFile(name, fixture(name) if content is None else content), **data}
    return client.post(f"/api/projects/{slug}/scans/", payload, headers=headers)


def test_a_valid_token_imports_the_report_and_answers_201_with_the_import_run(client, project, audit, token):
    obj, raw = token
    response = upload(client, project.slug, raw, audit=str(audit.pk))
    assert response.status_code == 201
    body = response.json()
    run = ImportRun.objects.get()
    assert body["id"] == run.pk
    assert body["project"] == project.slug and body["audit"] == audit.pk
    assert body["format"] == "bandit" and body["status"] == "succeeded"
    assert body["counts"] == {
        "created": 10,
        "still_open": 0,
        "reopened": 0,
        "resolved": 0,
        "unchanged_closed": 0,
        "errors": 0,
    }
    assert body["sha256"] == hashlib.sha256(fixture("bandit_v1.json")).hexdigest()
    assert run.token == obj and run.user is None
    obj.refresh_from_db()
    assert obj.last_used_at is not None
    assert Finding.objects.filter(project=project).count() == 10


def test_the_token_is_stored_hashed_only(token):
    obj, raw = token
    assert raw.startswith("aud_") and len(raw) > 40
    assert obj.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {obj.prefix, obj.token_hash, obj.name}
    assert obj.prefix == raw[:12]


def test_dry_run_answers_200_with_a_preview_and_writes_nothing(client, project, token):
    response = upload(client, project.slug, token[1], dry_run="true")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] is None and body["status"] == "dry_run"
    assert body["counts"]["created"] == 10
    assert len(body["preview"]["created"]) == 10
    assert not Finding.objects.exists() and not ImportRun.objects.exists()


def test_metrics_with_decimals_are_returned_as_json(client, project, token):
    response = upload(client, project.slug, token[1], name="coverage.xml")
    assert response.status_code == 201
    assert response.json()["metrics"]["coverage_percent"] == "70.00"


@pytest.mark.parametrize("header", [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer aud_wrong"])
def test_a_missing_or_wrong_token_answers_401(client, project, token, header):
    headers = {"Authorization": header} if header else {}
    response = client.post(
        f"/api/projects/{project.slug}/scans/",
        {"file": SimpleUploadedFile("b.json", fixture("bandit_v1.json"))},
        headers=headers,
    )
    assert response.status_code == 401
    assert "error" in response.json()
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Finding.objects.exists()


def test_a_revoked_token_answers_401(client, project, token):
    api_token_revoke(token=token[0])
    assert upload(client, project.slug, token[1]).status_code == 401


def test_a_token_of_another_project_answers_403(client, project, other_project, token):
    response = upload(client, other_project.slug, token[1])
    assert response.status_code == 403
    assert "another project" in response.json()["error"]
    assert not Finding.objects.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "the file is empty"),
        (b'{"results": [', "invalid JSON"),
        (b'{"r\xe9sum\xe9": 1}', "not UTF-8"),
        (b"<!DOCTYPE x [<!ENTITY a 'b'>]><coverage/>", "DTD or entities"),
    ],
)
def test_bad_reports_answer_400_with_a_json_error_naming_the_file(client, project, token, content, message):
    response = upload(client, project.slug, token[1], name="bandit_v1.json", content=content)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error.startswith("bandit_v1.json:") and message in error
    assert not Finding.objects.exists() and not ImportRun.objects.exists()


def test_a_request_without_a_file_or_with_a_bad_field_answers_400(client, project, token):
    headers = {"Authorization": f"Bearer {token[1]}"}
    response = client.post(f"/api/projects/{project.slug}/scans/", {}, headers=headers)
    assert response.status_code == 400 and '"file"' in response.json()["error"]
    assert upload(client, project.slug, token[1], format="pdf").status_code == 400
    assert "has no audit" in upload(client, project.slug, token[1], audit="42").json()["error"]


def test_a_file_over_the_size_limit_answers_400(client, project, token, settings):
    settings.AUDITOR_MAX_UPLOAD_BYTES = 100
    response = upload(client, project.slug, token[1])
    assert response.status_code == 400
    assert "over the 100-byte limit" in response.json()["error"]


def test_get_is_not_allowed(client, project, token):
    response = client.get(
        f"/api/projects/{project.slug}/scans/", headers={"Authorization": f"Bearer {token[1]}"}
    )
    assert response.status_code == 405


def test_the_api_needs_no_session_and_no_csrf_token(project, token):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert upload(strict, project.slug, token[1]).status_code == 201
    assert ApiToken.objects.count() == 1


def test_a_request_body_over_the_limit_is_refused_before_it_is_read(client, project, token, settings):
    settings.AUDITOR_MAX_UPLOAD_BYTES = 10
    body = b"x" * (70 * 1024)
    response = client.generic(
        "POST",
        f"/api/projects/{project.slug}/scans/",
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        headers={"Authorization": f"Bearer {token[1]}"},
    )
    assert response.status_code == 400
    assert "over the 10-byte limit" in response.json()["error"]
    assert not ImportRun.objects.exists()
