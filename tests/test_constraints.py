"""The database itself rejects bad data, whatever code path writes it."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding
from projects.models import Audit, DomainScore, Project


def test_a_domain_score_above_ten_is_rejected(audit, security):
    with pytest.raises(IntegrityError), transaction.atomic():
        DomainScore.objects.create(audit=audit, domain=security, score=Decimal("11"))


def test_a_negative_domain_score_is_rejected(audit, security):
    with pytest.raises(IntegrityError), transaction.atomic():
        DomainScore.objects.create(audit=audit, domain=security, score=Decimal("-0.1"))


def test_a_domain_without_evidence_is_stored_as_not_measured(audit, security):
    score = DomainScore.objects.create(audit=audit, domain=security, score=None)

    assert DomainScore.objects.get(pk=score.pk).score is None


def test_two_scores_for_the_same_domain_of_one_audit_are_rejected(audit, security):
    DomainScore.objects.create(audit=audit, domain=security, score=Decimal("5.5"))

    with pytest.raises(IntegrityError), transaction.atomic():
        DomainScore.objects.create(audit=audit, domain=security, score=Decimal("6"))


def test_the_same_fingerprint_twice_in_one_project_is_rejected(project):
    Finding.objects.create(project=project, title="SQL injection", fingerprint="abc")

    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.create(project=project, title="SQL injection again", fingerprint="abc")


def test_the_same_fingerprint_in_two_projects_is_allowed(project, other_project):
    Finding.objects.create(project=project, title="SQL injection", fingerprint="abc")
    Finding.objects.create(project=other_project, title="SQL injection", fingerprint="abc")

    assert Finding.objects.filter(fingerprint="abc").count() == 2


def test_a_global_score_above_ten_is_rejected(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        Audit.objects.create(project=project, title="x", global_score=Decimal("10.5"))


def test_coverage_above_one_hundred_percent_is_rejected(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        Audit.objects.create(project=project, title="x", coverage_percent=Decimal("100.01"))


def test_project_slugs_are_unique(project):
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.create(name="Another", slug=project.slug)


def test_an_item_marked_not_applicable_needs_a_justification(project):
    checklist = Checklist.objects.create(project=project, title="Deployment")

    with pytest.raises(IntegrityError), transaction.atomic():
        ChecklistItem.objects.create(checklist=checklist, text="Enable HTTPS", state="na")

    item = ChecklistItem.objects.create(
        checklist=checklist, text="Enable HTTPS", state="na", note="TLS ends at the load balancer"
    )
    assert item.pk is not None


def test_the_same_report_cannot_be_imported_twice_into_a_project(project):
    Audit.objects.create(project=project, title="Report", source_sha256="f" * 64)

    with pytest.raises(IntegrityError), transaction.atomic():
        Audit.objects.create(project=project, title="Report again", source_sha256="f" * 64)


def test_an_audit_is_valid_for_ninety_days_by_default(project):
    import datetime as dt

    audit = Audit.objects.create(project=project, title="x", audit_date=dt.date(2025, 12, 31))

    assert audit.valid_until == dt.date(2026, 3, 31)
