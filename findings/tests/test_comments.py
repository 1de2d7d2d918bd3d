"""Comments on findings: the thread, @mentions adding watchers, internal notes kept out of exports."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conftest import make_user
from findings.models import Finding, FindingComment
from findings.resources import FindingResource
from findings.services.comments import comment_add

pytestmark = pytest.mark.django_db


@pytest.fixture
def finding(project):
    return Finding.objects.create(project=project, title="Open redirect", fingerprint="redirect")


def test_a_mention_adds_a_watcher_who_may_see_the_project(finding, tech_lead, other_tech_lead, auditor_user):
    comment = comment_add(
        finding=finding,
        author=tech_lead,
        body="@auditor please check; @otherlead FYI, @nobody. Mail me@example.com",
    )

    assert comment.author == tech_lead and comment.internal is False
    assert list(finding.watchers.all()) == [auditor_user]  # otherlead cannot see the project


def test_an_empty_or_huge_comment_is_refused(finding, tech_lead):
    with pytest.raises(ValidationError, match="needs some text"):
        comment_add(finding=finding, author=tech_lead, body=" \x00 ")
    with pytest.raises(ValidationError, match="at most"):
        comment_add(finding=finding, author=tech_lead, body="x" * 10_001)
    assert not FindingComment.objects.exists()


def test_the_admin_thread_adds_a_comment_by_the_logged_in_user(client, finding, tech_lead, auditor_user):
    client.force_login(tech_lead)
    url = reverse("admin:findings_finding_change", args=[finding.pk])
    response = client.post(
        url,
        {
            "status": "open",
            "assignee": "",
            "comments-TOTAL_FORMS": "1",
            "comments-INITIAL_FORMS": "0",
            "comments-MIN_NUM_FORMS": "0",
            "comments-MAX_NUM_FORMS": "1000",
            "comments-0-body": "Fix planned for sprint 12, @auditor",
            "comments-0-internal": "on",
            "comments-0-finding": finding.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    comment = FindingComment.objects.get()
    assert (comment.author, comment.internal, comment.body) == (
        tech_lead,
        True,
        "Fix planned for sprint 12, @auditor",
    )
    assert list(finding.watchers.all()) == [auditor_user]
    page = client.get(url).content.decode()
    assert "Fix planned for sprint 12" in page and "auditor" in page


def test_a_manager_reads_the_thread_but_cannot_post(client, finding, tech_lead, manager):
    comment_add(finding=finding, author=tech_lead, body="Looked at it")
    client.force_login(manager)
    url = reverse("admin:findings_finding_change", args=[finding.pk])

    assert "Looked at it" in client.get(url).content.decode()
    assert client.post(url, {"comments-TOTAL_FORMS": "1", "comments-0-body": "x"}).status_code == 403


def test_internal_notes_stay_out_of_the_export(finding, tech_lead):
    comment_add(finding=finding, author=tech_lead, body="Public: waiting for the vendor")
    comment_add(finding=finding, author=tech_lead, body="Internal: the vendor is late", internal=True)

    exported = FindingResource(user=tech_lead).export().csv

    assert "Public: waiting for the vendor" in exported
    assert "Internal" not in exported


def test_the_export_reads_comments_in_a_constant_number_of_queries(
    project, tech_lead, django_assert_max_num_queries
):
    for n in range(30):
        f = Finding.objects.create(project=project, title=f"F{n}", fingerprint=f"f{n}")
        comment_add(finding=f, author=tech_lead, body=f"note {n}")
    make_user("someone")

    with django_assert_max_num_queries(8):
        exported = FindingResource(user=None).export().csv

    assert exported.count("note ") == 30
