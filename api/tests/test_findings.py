"""Findings through the API: lists scoped and filtered, cursor pages, triage and comments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from findings.models import Finding, FindingComment, Severity
from governance.models import PolicyException


def make_finding(project, n, **extra):
    values = {"title": f"Finding {n}", "fingerprint": f"fp-{project.slug}-{n}", "severity": Severity.MEDIUM}
    return Finding.objects.create(project=project, **{**values, **extra})


@pytest.fixture
def findings(project, other_project, security):
    now = timezone.now()
    return {
        "critical": make_finding(project, 1, severity=Severity.CRITICAL, domain=security, first_seen_at=now),
        "low": make_finding(project, 2, severity=Severity.LOW, first_seen_at=now - dt.timedelta(days=10)),
        "fixed": make_finding(project, 3, severity=Severity.HIGH, status=Finding.Status.FIXED),
        "other": make_finding(other_project, 4, severity=Severity.CRITICAL),
    }


def titles(response):
    return sorted(row["title"] for row in response.json()["results"])


def test_a_tech_lead_lists_only_their_projects_findings(tech_lead, findings, call, token_of):
    response = call(token_of(tech_lead), "GET", "/api/v1/findings/")

    assert response.status_code == 200
    assert titles(response) == ["Finding 1", "Finding 2", "Finding 3"]


def test_another_projects_finding_answers_404_to_a_tech_lead(tech_lead, findings, call, token_of):
    response = call(token_of(tech_lead), "GET", f"/api/v1/findings/{findings['other'].pk}/")

    assert response.status_code == 404
    assert response.json() == {"error": "Not found (or not in your projects)."}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("severity=critical", ["Finding 1", "Finding 4"]),
        ("severity=critical&severity=low", ["Finding 1", "Finding 2", "Finding 4"]),
        ("status=fixed", ["Finding 3"]),
        ("project=aetherflow", ["Finding 4"]),
        ("domain=security", ["Finding 1"]),
        ("first_seen_before=2000-01-01T00:00:00Z", []),
    ],
)
def test_findings_filter_by_severity_status_project_domain_and_date(
    manager, findings, call, token_of, query, expected
):
    response = call(token_of(manager), "GET", f"/api/v1/findings/?{query}")

    assert response.status_code == 200, response.json()
    assert titles(response) == expected


def test_a_date_filter_relative_to_the_findings(manager, findings, call, token_of):
    cut = (timezone.now() - dt.timedelta(days=5)).isoformat().replace("+00:00", "Z")

    response = call(token_of(manager), "GET", f"/api/v1/findings/?first_seen_after={cut}")

    assert titles(response) == ["Finding 1"]


def test_ordering_and_cursor_pages_walk_every_row_once(manager, project, call, token_of):
    for n in range(7):
        make_finding(project, n, severity=n % 5)
    raw = token_of(manager)
    seen, url = [], "/api/v1/findings/?ordering=-severity&page_size=3"
    while url:
        page = call(raw, "GET", url).json()
        seen += [(row["severity"], row["id"]) for row in page["results"]]
        url = page["next"]

    assert len(seen) == 7 and len({pk for _s, pk in seen}) == 7
    order = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
    assert [order[s] for s, _pk in seen] == sorted((order[s] for s, _pk in seen), reverse=True)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("severity=urgent", "severity"),
        ("ordering=password", "ordering"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("cursor=bz1hYmM%3D", "cursor"),
        ("first_seen_after=yesterday", "first_seen_after"),
    ],
)
def test_bad_query_values_answer_400_naming_the_parameter(manager, findings, call, token_of, query, field):
    response = call(token_of(manager), "GET", f"/api/v1/findings/?{query}")

    assert response.status_code == 400
    body = response.json()
    assert field in body["fields"], body
    assert field in body["error"]


def test_a_lead_sets_status_and_assignee(tech_lead, findings, call, token_of):
    finding = findings["critical"]

    response = call(
        token_of(tech_lead),
        "PATCH",
        f"/api/v1/findings/{finding.pk}/",
        {"status": "fixed", "assignee": "lead"},
    )

    assert response.status_code == 200, response.json()
    assert response.json()["finding"]["status"] == "fixed"
    assert response.json()["exception"] is None
    finding.refresh_from_db()
    assert finding.status == "fixed" and finding.assignee == tech_lead
    assert finding.fixed_at is not None and finding.status_changed_at is not None


def test_accepted_risk_asks_for_an_exception_and_keeps_the_status(tech_lead, findings, call, token_of):
    finding = findings["critical"]

    response = call(
        token_of(tech_lead),
        "PATCH",
        f"/api/v1/findings/{finding.pk}/",
        {"status": "accepted_risk", "note": "Internal tool, no exposure."},
    )

    assert response.status_code == 200, response.json()
    exception = PolicyException.objects.get(pk=response.json()["exception"])
    assert exception.state == "pending" and exception.requested_by == tech_lead
    assert exception.justification == "Internal tool, no exposure."
    finding.refresh_from_db()
    assert finding.status == "open"


def test_an_assignee_who_cannot_see_the_project_is_refused(
    tech_lead, other_tech_lead, findings, call, token_of
):
    finding = findings["critical"]

    response = call(
        token_of(tech_lead), "PATCH", f"/api/v1/findings/{finding.pk}/", {"assignee": "otherlead"}
    )

    assert response.status_code == 400
    assert "otherlead cannot see this project" in response.json()["fields"]["assignee"][0]
    finding.refresh_from_db()
    assert finding.assignee is None


def test_an_unknown_status_names_the_field_and_writes_nothing(auditor_user, findings, call, token_of):
    finding = findings["critical"]

    response = call(token_of(auditor_user), "PATCH", f"/api/v1/findings/{finding.pk}/", {"status": "done"})

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["status"]
    finding.refresh_from_db()
    assert finding.status == "open"


def test_a_manager_may_not_triage(manager, findings, call, token_of):
    response = call(
        token_of(manager), "PATCH", f"/api/v1/findings/{findings['low'].pk}/", {"status": "fixed"}
    )

    assert response.status_code == 403
    assert response.json() == {"error": "Your role may not change findings."}


def test_comments_are_added_and_listed_oldest_first(tech_lead, auditor_user, findings, call, token_of):
    url = f"/api/v1/findings/{findings['low'].pk}/comments/"
    call(token_of(tech_lead), "POST", url, {"body": "Looking into it, @auditor."})
    call(token_of(auditor_user), "POST", url, {"body": "Thanks.", "internal": True})

    thread = call(token_of(tech_lead), "GET", url).json()

    assert [(c["author"], c["body"], c["internal"]) for c in thread] == [
        ("lead", "Looking into it, @auditor.", False),
        ("auditor", "Thanks.", True),
    ]
    assert auditor_user in findings["low"].watchers.all()


def test_an_empty_comment_is_refused_by_name(tech_lead, findings, call, token_of):
    response = call(
        token_of(tech_lead), "POST", f"/api/v1/findings/{findings['low'].pk}/comments/", {"body": " "}
    )

    assert response.status_code == 400
    assert "body" in response.json()["fields"]
    assert not FindingComment.objects.exists()


def test_the_audit_trail_names_the_tokens_user(tech_lead, findings, call, token_of):
    from auditlog.models import LogEntry

    finding = findings["low"]

    call(token_of(tech_lead), "PATCH", f"/api/v1/findings/{finding.pk}/", {"status": "in_progress"})

    entry = LogEntry.objects.get_for_object(finding).order_by("-pk").first()
    assert entry is not None and entry.actor == tech_lead
    assert entry.changes_dict["status"] == ["open", "in_progress"]
