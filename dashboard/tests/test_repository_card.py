"""The repository a re-scan saw (languages by kind of code, files, practices, analyzers) on the
audit page and the project page."""

import pytest

from projects.models import Audit
from scoring.evidence import FAILED, NOT_APPLICABLE, RAN, AnalyzerRun, LanguageLines, RepositoryProfile
from scoring.measurements import audit_record_measurements

PROFILE = RepositoryProfile(
    languages=(
        LanguageLines("Python", production=4000, test=1500, fixture=200, docs=30),
        LanguageLines("Kotlin", production=1000),
    ),
    manifests=("requirements.txt", "poetry.lock"),
    ecosystems=("PyPI",),
    ci_files=(".github/workflows/ci.yml",),
    container_files=("Dockerfile",),
    practices={"readme": True, "ci_runs_tests": True, "container_healthcheck": False},
)
RUNS = [
    AnalyzerRun("semgrep", ("security",), ("Python",), RAN, covered_lines=4000, findings=3, seconds=2.5),
    AnalyzerRun("osv", ("security",), (), FAILED, error="No OSV data folder and no API reachable"),
    AnalyzerRun("clippy", ("code-quality",), (), NOT_APPLICABLE),
]


@pytest.fixture
def scanned(project):
    audit = Audit.objects.create(
        project=project, title="Re-scan", kind=Audit.Kind.AUTOMATED, status=Audit.Status.COMPLETED
    )
    audit_record_measurements(audit_id=audit.pk, profile=PROFILE, runs=RUNS)
    return audit


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["audit", "project"])
def test_the_page_shows_the_repository_and_what_each_analyzer_covered(client, manager, scanned, page):
    client.force_login(manager)
    url = scanned.get_absolute_url() if page == "audit" else scanned.project.get_absolute_url()
    html = client.get(url).content.decode()

    card = html[html.index('id="repository"') :]
    assert "Kotlin" in card and "4,000" in card and "1,500" in card
    assert "requirements.txt, poetry.lock" in card and "PyPI" in card
    assert ".github/workflows/ci.yml" in card and "Dockerfile" in card
    assert "Practices not found: container healthcheck" in card
    analyzers = card[card.index('id="analyzers"') :]
    assert "80%" in analyzers  # semgrep read 4,000 of 5,000 production lines
    assert "No OSV data folder and no API reachable" in analyzers
    assert "not applicable" in analyzers


@pytest.mark.django_db
def test_an_audit_no_rescan_profiled_shows_no_repository_card(client, manager, project):
    audit = Audit.objects.create(project=project, title="Manual", status=Audit.Status.COMPLETED)
    client.force_login(manager)
    assert 'id="repository"' not in client.get(audit.get_absolute_url()).content.decode()
    assert 'id="repository"' not in client.get(project.get_absolute_url()).content.decode()
