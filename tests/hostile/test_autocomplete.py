"""User pickers (admin autocomplete) answer every role that may fill the form in: a tech lead
setting a finding's assignee, an auditor choosing an audit's auditor. Real requests per role."""

from __future__ import annotations

import pytest

from conftest import make_user
from findings.models import Finding
from tests.hostile.helpers import assert_no_crash

AUTOCOMPLETE = "/admin/autocomplete/"


def pick(client, app_label: str, model_name: str, field_name: str, term: str = ""):
    return client.get(
        AUTOCOMPLETE,
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )


PICKERS = [
    # (role, source form field, expected status)
    ("lead", ("findings", "finding", "assignee"), 200),
    ("auditor", ("findings", "finding", "assignee"), 200),
    ("auditor", ("projects", "audit", "auditor"), 200),
    ("admin", ("projects", "audit", "auditor"), 200),
    ("admin", ("projects", "project", "tech_lead"), 200),
    ("manager", ("findings", "finding", "assignee"), 403),  # managers read, they do not assign
    ("lead", ("projects", "audit", "auditor"), 403),  # tech leads do not edit audits
]


@pytest.mark.parametrize("role, source, status", PICKERS, ids=[f"{r}-{s[1]}.{s[2]}" for r, s, _ in PICKERS])
def test_user_pickers_answer_the_roles_that_fill_the_form(client, world, role, source, status):
    make_user("gone", is_active=False)
    client.force_login(world["users"][role])
    client.raise_request_exception = False
    response = pick(client, *source)
    assert_no_crash(response)
    assert response.status_code == status
    if status == 200:
        names = {row["text"] for row in response.json()["results"]}
        assert {"lead", "auditor"} <= names
        if role != "admin":
            assert "gone" not in names  # inactive accounts are not offered


def test_the_picker_does_not_search_emails_for_those_who_cannot_see_users(client, world):
    client.force_login(world["users"]["lead"])
    assert pick(client, "findings", "finding", "assignee", "example.com").json()["results"] == []
    assert [r["text"] for r in pick(client, "findings", "finding", "assignee", "audi").json()["results"]] == [
        "auditor"
    ]


def test_the_user_admin_itself_stays_closed_to_tech_leads(client, world):
    client.force_login(world["users"]["lead"])
    assert client.get("/admin/auth/user/").status_code == 403
    assert client.get(f"/admin/auth/user/{world['users']['admin'].pk}/change/").status_code == 403
    # Not a user field of a form: no way in through the picker either.
    assert pick(client, "findings", "finding", "project").status_code in (200, 403)
    assert pick(client, "auth", "user", "groups").status_code == 403


@pytest.mark.parametrize(
    "params",
    [
        {"app_label": "findings", "model_name": "finding", "field_name": "nope"},
        {"app_label": "nope", "model_name": "finding", "field_name": "assignee"},
        {"app_label": "findings", "model_name": "finding"},
        {"app_label": "findings\x00", "model_name": "finding", "field_name": "assignee"},
        {"app_label": "findings", "model_name": "finding", "field_name": "assignee", "term": "\x00"},
    ],
    ids=["unknown-field", "unknown-app", "no-field", "nul-in-app", "nul-in-term"],
)
def test_malformed_picker_requests_are_refused_cleanly(client, world, params):
    client.force_login(world["users"]["lead"])
    client.raise_request_exception = False
    response = client.get(AUTOCOMPLETE, params)
    assert_no_crash(response)
    assert response.status_code in (400, 403, 404)


def test_a_tech_lead_sets_the_assignee_through_the_change_form(client, world):
    lead, auditor = world["users"]["lead"], world["users"]["auditor"]
    finding = world["findings"][2]
    client.force_login(lead)
    url = f"/admin/findings/finding/{finding.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and 'data-field-name="assignee"' in page.content.decode()
    response = client.post(url, {"status": "in_progress", "assignee": auditor.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    finding.refresh_from_db()
    assert finding.assignee == auditor and finding.status == Finding.Status.IN_PROGRESS
