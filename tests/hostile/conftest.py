"""Hostile-input suite: every entry point fed what an attacker or a broken tool would send.

Each case asserts the answer is a clear refusal or a correct result: never a 500, never a
traceback in the response, and the database exactly as it was when the input is refused.
"""

from __future__ import annotations

import datetime as dt

import pytest

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding, Severity
from projects.models import Audit, DomainScore, MaturityDomain
from scoring.services import project_refresh_summary


@pytest.fixture
def world(db, admin, tech_lead, auditor_user, manager, project):
    """A project with a completed audit that has no date, a dated one, findings whose text holds
    formulas and control characters, and a checklist."""
    undated = Audit.objects.create(
        project=project, title="Imported, no date", status=Audit.Status.COMPLETED, audit_date=None
    )
    dated = Audit.objects.create(
        project=project,
        title="Dated audit",
        status=Audit.Status.COMPLETED,
        audit_date=dt.date(2025, 3, 1),
        auditor=auditor_user,
    )
    # Written in bulk: the suite builds this for each of its ~300 cases.
    DomainScore.objects.bulk_create(
        [DomainScore(audit=dated, domain=MaturityDomain.objects.get(slug="security"), score="6.0")]
    )
    findings = Finding.objects.bulk_create(
        Finding(
            project=project,
            title=title,
            fingerprint=f"hostile-{i}",
            severity=Severity.HIGH,
            tool="bandit",
            description="control \x01\x02 characters\x0b",
            recommendation="@SUM(A1:A9)",
            file_path="-cmd|' /C calc'!A0",
        )
        for i, title in enumerate(['=HYPERLINK("http://x","y")', "+1+1 \x07bell", "plain"])
    )
    checklist = Checklist.objects.create(project=project, title="Go-live", owner=tech_lead)
    ChecklistItem.objects.bulk_create([ChecklistItem(checklist=checklist, order=1, text="=1+1 formula item")])
    project_refresh_summary(project_id=project.pk)
    return {
        "project": project,
        "undated": undated,
        "dated": dated,
        "findings": findings,
        "checklist": checklist,
        "users": {"admin": admin, "lead": tech_lead, "auditor": auditor_user, "manager": manager},
    }


@pytest.fixture
def logged_in(client, world):
    """The client, logged in as the admin, never re-raising a view's exception (a 500 stays a 500)."""
    client.force_login(world["users"]["admin"])
    client.raise_request_exception = False
    return client
