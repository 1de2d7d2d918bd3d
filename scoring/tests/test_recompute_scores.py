"""manage.py recompute_scores."""

import pytest
from django.core.management import CommandError, call_command

from findings.models import Finding, Severity
from projects.models import DomainScore, MaturityDomain
from tests.pages_data import build_project


@pytest.mark.django_db
def test_it_recomputes_the_latest_audit_of_the_named_projects_only(capsys):
    first, second = build_project(1, findings=0), build_project(2, findings=0)
    observability = MaturityDomain.objects.get(slug="observability")
    for project in (first, second):
        # Changed without going through any service: scores are now behind the evidence.
        Finding.objects.bulk_create(
            [
                Finding(
                    project=project,
                    title="No tracing",
                    fingerprint="t",
                    severity=Severity.MEDIUM,
                    domain=observability,
                )
            ]
        )
    call_command("recompute_scores", "project-0001")
    assert DomainScore.objects.filter(audit__project=first, domain=observability).exists()
    assert not DomainScore.objects.filter(audit__project=second, domain=observability).exists()
    assert "Recomputed 1 project(s)" in capsys.readouterr().out


@pytest.mark.django_db
def test_an_unknown_slug_recomputes_nothing_and_says_which():
    build_project(1)
    with pytest.raises(CommandError, match="Unknown project slug\\(s\\): nope"):
        call_command("recompute_scores", "project-0001", "nope")
