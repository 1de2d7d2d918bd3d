"""Audits, scores, checklists, exceptions, re-scans and the portfolio through the API."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from checklists.models import Checklist, ChecklistItem, ChecklistItemHistory
from findings.models import Finding
from governance.models import PolicyException
from projects.models import Audit, DomainScore
from rescans.models import RescanRun
from scoring.services import project_refresh_summary


@pytest.fixture
def item(project):
    checklist = Checklist.objects.create(project=project, title="Release")
    return ChecklistItem.objects.create(checklist=checklist, text="Backups restore", order=1)


def test_an_audit_shows_its_metrics(manager, project, call, token_of):
    audit = Audit.objects.create(
        project=project, title="Q3", tests_passed=120, coverage_percent="81.50", extra_metrics={"p95_ms": 180}
    )

    body = call(token_of(manager), "GET", f"/api/v1/audits/{audit.pk}/").json()

    assert body["project"] == "champion-clone"
    assert body["metrics"]["tests_passed"] == 120
    assert body["metrics"]["coverage_percent"] == "81.50"
    assert body["metrics"]["extra_metrics"] == {"p95_ms": 180}


def test_a_domain_score_shows_its_why(manager, audit, security, call, token_of):
    evidence = [{"kind": "finding", "label": "2 open high findings", "url": "/x", "effect": "-1.5"}]
    score = DomainScore.objects.create(
        audit=audit,
        domain=security,
        score="6.5",
        source="computed",
        rationale="High findings open.",
        evidence=evidence,
    )

    body = call(token_of(manager), "GET", f"/api/v1/domain-scores/?audit={audit.pk}&domain=security").json()

    (row,) = body["results"]
    assert row["id"] == score.pk and row["score"] == "6.5" and row["domain"] == "security"
    assert row["rationale"] == "High findings open." and row["evidence"] == evidence
    assert row["level"]


def test_a_lead_answers_an_item_with_evidence_and_history(tech_lead, item, call, token_of):
    response = call(
        token_of(tech_lead),
        "PATCH",
        f"/api/v1/checklist-items/{item.pk}/",
        {"state": "done", "note": "Restored on staging.", "evidence_url": "https://ci.example.com/run/42"},
    )

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "done" and response.json()["checked_by"] == "lead"
    item.refresh_from_db()
    assert item.evidence_url == "https://ci.example.com/run/42"
    assert ChecklistItemHistory.objects.filter(item=item, to_state="done", user=tech_lead).exists()


def test_an_evidence_file_is_kept_as_a_revision(tech_lead, item, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from api.services import token_create

    raw = token_create(user=tech_lead, name="upload")[1]

    response = Client().patch(
        f"/api/v1/checklist-items/{item.pk}/",
        data=_multipart(
            {"state": "done", "evidence_file": SimpleUploadedFile("restore.txt", b"restore ok\n")}
        ),
        content_type="multipart/form-data; boundary=BoUnDaRy",
        headers={"Authorization": f"Bearer {raw}"},
    )

    assert response.status_code == 200, response.json()
    (revision,) = response.json()["evidence_files"]
    assert revision["original_name"] == "restore.txt" and revision["revision"] == 1


def _multipart(fields):
    from django.test.client import encode_multipart

    return encode_multipart("BoUnDaRy", fields)


def test_not_applicable_without_a_note_is_refused_by_name(tech_lead, item, call, token_of):
    response = call(token_of(tech_lead), "PATCH", f"/api/v1/checklist-items/{item.pk}/", {"state": "na"})

    assert response.status_code == 400
    assert "note" in response.json()["fields"]
    item.refresh_from_db()
    assert item.state == "todo"


def test_an_exception_needs_someone_else_to_approve(tech_lead, manager, project, call, token_of):
    finding = Finding.objects.create(project=project, title="Hardcoded key", fingerprint="k1")
    lead_token = token_of(tech_lead)
    created = call(
        lead_token,
        "POST",
        "/api/v1/exceptions/",
        {"finding": finding.pk, "reason": "false_positive", "justification": "A test fixture key."},
    )
    assert created.status_code == 201, created.json()
    url = f"/api/v1/exceptions/{created.json()['id']}/approve/"

    own = call(lead_token, "POST", url)
    approved = call(token_of(manager), "POST", url)

    assert own.status_code == 403 and "someone else" in own.json()["error"]
    assert approved.status_code == 200 and approved.json()["state"] == "approved"
    finding.refresh_from_db()
    assert finding.status == "false_positive"


def test_an_exception_request_names_a_missing_target(auditor_user, call, token_of):
    response = call(
        token_of(auditor_user),
        "POST",
        "/api/v1/exceptions/",
        {"reason": "false_positive", "justification": "x"},
    )

    assert response.status_code == 400
    assert "exactly one target" in response.json()["error"]
    assert not PolicyException.objects.exists()


def test_a_rescan_starts_once_and_shows_its_state(auditor_user, project, call, token_of):
    project.repository_url = "https://example.com/repo.git"
    project.save()
    raw = token_of(auditor_user)

    started = call(raw, "POST", f"/api/v1/projects/{project.slug}/rescan/", {})
    again = call(raw, "POST", f"/api/v1/projects/{project.slug}/rescan/", {})

    assert started.status_code == 202, started.json()
    assert started.json()["state"] == "queued" and started.json()["project"] == project.slug
    assert again.status_code == 409 and "already" in again.json()["error"]
    state = call(raw, "GET", f"/api/v1/rescans/{started.json()['audit']}/").json()
    assert state["state"] == "queued" and state["requested_by"] == "auditor"
    assert RescanRun.objects.count() == 1


def test_a_project_without_repository_is_not_rescanned(admin, project, call, token_of):
    response = call(token_of(admin), "POST", f"/api/v1/projects/{project.slug}/rescan/", {})

    assert response.status_code == 400
    assert "no repository" in response.json()["error"]


def test_the_portfolio_of_a_lead_holds_only_their_projects(tech_lead, project, other_project, call, token_of):
    for p in (project, other_project):
        Audit.objects.create(project=p, title="x", status="completed", global_score="7.0")
        project_refresh_summary(project_id=p.pk)

    rows = call(token_of(tech_lead), "GET", "/api/v1/portfolio/").json()["results"]

    assert [(r["project"], r["global_score"]) for r in rows] == [("champion-clone", "7.0")]
