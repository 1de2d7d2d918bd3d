"""Scores and the gate show both: without and with approved exceptions, and the exceptions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from findings.models import Finding, Severity
from governance.models import Reason
from governance.services import exception_approve, exception_request
from projects.models import Audit, DomainScore, MaturityDomain
from scoring.services import audit_recompute

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(project, tech_lead, auditor_user):
    security = MaturityDomain.objects.get(slug="security")
    audit = Audit.objects.create(project=project, title="Audit", status=Audit.Status.COMPLETED)
    findings = [
        Finding.objects.create(
            project=project,
            title=f"SQL injection {n}",
            fingerprint=f"sqli-{n}",
            severity=Severity.CRITICAL if n == 0 else Severity.HIGH,
            confidence="high",
            domain=security,
            file_path=f"app/views{n}.py",
            line=10,
            tool="semgrep",
            rule_id=f"sqli-{n}",
        )
        for n in range(3)
    ]
    Finding.objects.create(
        project=project,
        title="Weak hash",
        fingerprint="md5",
        severity=Severity.MEDIUM,
        domain=security,
        file_path="app/hash.py",
        line=3,
    )
    audit_recompute(audit=audit)
    before = DomainScore.objects.get(audit=audit, domain=security).score
    exceptions = []
    for finding in findings[:2]:
        exception = exception_request(
            user=tech_lead,
            reason=Reason.MITIGATED_ELSEWHERE,
            justification="The WAF blocks it.",
            finding=finding,
            expires_on=None,
        )
        exceptions.append(exception_approve(exception=exception, user=auditor_user))
    audit_recompute(audit=audit)
    return audit, security, before, exceptions


def test_the_domain_score_is_stored_with_exceptions_and_explains_the_score_without(scored):
    audit, security, before, exceptions = scored
    score = DomainScore.objects.get(audit=audit, domain=security)

    summary, *listed = score.evidence[:3]
    assert summary["kind"] == "exceptions"
    assert Decimal(summary["value"]) == before < score.score
    assert summary["label"] == f"{before} ({score.score} with 2 approved exceptions)"
    assert [e["url"] for e in listed] == [
        reverse("admin:governance_policyexception_change", args=[e.pk]) for e in exceptions
    ]


def test_the_audit_page_shows_both_scores_the_exceptions_and_the_gate_without_them(client, scored, manager):
    audit, security, before, exceptions = scored
    score = DomainScore.objects.get(audit=audit, domain=security).score
    client.force_login(manager)

    page = client.get(reverse("audit-detail", args=[audit.pk])).content.decode()

    assert "Security <a" in page and f"{before} ({score} with 2 approved exceptions)" in page
    for exception in exceptions:
        assert reverse("admin:governance_policyexception_change", args=[exception.pk]) in page
    assert "Open critical findings: 0" in page and "(1 without approved exceptions)" in page
    assert "2 approved exceptions</a> keep critical or high findings out of the gate" in page


def test_the_project_page_shows_both_scores(client, scored, manager, project):
    audit, security, before, _exceptions = scored
    score = DomainScore.objects.get(audit=audit, domain=security).score
    client.force_login(manager)

    page = client.get(reverse("project-detail", args=[project.slug])).content.decode()

    assert f"{before} ({score} with 2 approved exceptions)" in page


def test_without_exceptions_nothing_is_added(project):
    security = MaturityDomain.objects.get(slug="security")
    audit = Audit.objects.create(project=project, title="Audit", status=Audit.Status.COMPLETED)
    Finding.objects.create(project=project, title="x", fingerprint="x", severity=3, domain=security)

    audit_recompute(audit=audit)

    kinds = {e["kind"] for e in DomainScore.objects.get(audit=audit, domain=security).evidence}
    assert "exceptions" not in kinds and "exception" not in kinds
