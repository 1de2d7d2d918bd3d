"""report_import: imported audits with everything the report states, in one transaction."""

import datetime as dt
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, transaction

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding
from projects.models import Audit, DomainScore, Project
from reports.errors import ReportError
from reports.services import report_import

REPORTS = Path(__file__).parent / "samples"


def content(name: str) -> bytes:
    return (REPORTS / name).read_bytes()


def table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Project, Audit, DomainScore, Checklist, ChecklistItem, Finding)
    }


def scores(audit: Audit) -> dict[str, Decimal]:
    return dict(audit.domain_scores.values_list("domain__slug", "score"))


def test_the_english_sample_imports_with_the_values_it_states(project):
    result = report_import(
        content=content("000_1fb18fdaa5fc337e.txt"), file_name="000_1fb18fdaa5fc337e.txt", project=project
    )
    audit = Audit.objects.get(pk=result.audit.pk)
    assert audit.kind == Audit.Kind.IMPORTED and audit.is_self_attested
    assert audit.status == Audit.Status.COMPLETED
    assert audit.title == "Backend Complete Report V2"
    assert audit.audit_date == dt.date(2025, 12, 31)
    assert audit.version_label == "V2 with AuditAgent"
    assert audit.stated_verdict == Audit.Verdict.PRODUCTION_READY
    assert (audit.tests_passed, audit.tests_skipped, audit.tests_failed) == (447, 4, None)
    assert audit.coverage_percent == Decimal("77")
    assert (audit.security_high, audit.security_medium, audit.security_low) == (0, 1, 54)
    assert audit.files_count == 105
    assert audit.lines_of_code == 28000
    [checklist] = Checklist.objects.filter(audit=audit)
    assert checklist.project == project and checklist.title == "Deployment Checklist"
    items = list(checklist.items.order_by("order"))
    assert len(items) == 9 and {i.state for i in items} == {"todo"}
    assert items[-1].text == "Enable HTTPS"
    assert audit.source_sha256 == result.sha256 and audit.warnings == []


def test_the_mac_roman_sample_imports_its_five_scores_global_and_44_todo_items(other_project):
    result = report_import(
        content=content("003_1458062adef007ce.txt"), file_name="003.txt", project=other_project
    )
    audit = Audit.objects.get(pk=result.audit.pk)
    assert scores(audit) == {
        "code-quality": Decimal("7.0"),
        "security": Decimal("5.0"),
        "deployment": Decimal("7.0"),
        "documentation": Decimal("6.0"),
        "testing": Decimal("5.0"),
    }
    assert set(audit.domain_scores.values_list("source", flat=True)) == {DomainScore.Source.IMPORTED}
    assert audit.stated_global_score == Decimal("6.0")
    assert audit.global_score == Decimal("5.9")  # weighted mean of the stated scores
    assert audit.stated_verdict == Audit.Verdict.WITH_RESERVATIONS
    assert audit.audit_date == dt.date(2025, 2, 1)
    items = ChecklistItem.objects.filter(checklist__audit=audit)
    assert items.count() == 44
    assert set(items.values_list("state", flat=True)) == {"todo"}
    assert Checklist.objects.filter(audit=audit).count() == 3
    assert audit.report_source.repairs == ["Repaired the encoding: the report was UTF-8 read as Mac Roman."]


def test_an_inconsistent_global_score_is_flagged_on_the_audit(other_project):
    result = report_import(content=content("003_1458062adef007ce.txt"), project=other_project)
    audit = Audit.objects.get(pk=result.audit.pk)
    assert audit.report_source.inconsistency == {
        "stated_global": "6.0",
        "weighted_mean": "5.86",
        "difference": "0.14",
    }
    assert any(w.startswith("Inconsistency:") for w in audit.warnings)


def test_reimporting_the_same_report_does_not_create_a_second_audit(project):
    first = report_import(content=content("000_1fb18fdaa5fc337e.txt"), project=project)
    before = table_counts()
    again = report_import(content=content("000_1fb18fdaa5fc337e.txt"), project=project)
    assert again.duplicate_of.pk == first.audit.pk
    assert not again.created
    assert table_counts() == before


def test_the_same_report_garbled_or_clean_is_the_same_report(db):
    first = report_import(content=content("fr_tableaux.md"), create_project=True)
    again = report_import(content=content("fr_tableaux_cp1252_garbled.md"), create_project=True)
    assert again.duplicate_of.pk == first.audit.pk
    assert Audit.objects.count() == 1


def test_create_project_makes_the_project_the_report_names(db):
    result = report_import(content=content("003_1458062adef007ce.txt"), create_project=True)
    assert result.project_created
    project = Project.objects.get()
    assert (project.name, project.slug) == ("AetherFlow", "aetherflow")
    assert project.description == "Orchestrateur d'Agents IA"
    assert result.audit.project == project


def test_without_a_project_the_report_goes_to_the_existing_project_it_names(project):
    result = report_import(content=content("000_1fb18fdaa5fc337e.txt"))
    assert result.project == project and not result.project_created


def test_an_unknown_project_without_create_project_is_refused_and_nothing_changes(db):
    with pytest.raises(ReportError, match="'Payments API', which does not exist"):
        report_import(content=content("en_bullets_scores_100.md"))
    assert table_counts() == dict.fromkeys(table_counts(), 0)


def test_a_file_that_is_not_a_report_is_refused_and_nothing_changes(project):
    before = table_counts()
    with pytest.raises(ReportError, match="does not look like an audit report"):
        report_import(content=content("not_a_report.py"), project=project)
    with pytest.raises(ReportError, match="binary"):
        report_import(content=b"\x00\x01\x02PK", project=project)
    with pytest.raises(ReportError, match="empty"):
        report_import(content=b"  \n", project=project)
    assert table_counts() == before


def test_a_dry_run_previews_everything_and_writes_nothing(db):
    before = table_counts()
    result = report_import(content=content("en_bullets_scores_100.md"), create_project=True, dry_run=True)
    assert table_counts() == before
    assert result.dry_run and result.project_created and result.project.pk is None
    assert result.audit.pk is None
    assert result.audit.tests_passed == 120
    assert len(result.parsed.findings) == 5


def test_findings_are_created_with_severity_location_and_status(db):
    result = report_import(content=content("en_bullets_scores_100.md"), create_project=True)
    findings = {f.title: f for f in Finding.objects.filter(project=result.project)}
    injection = findings["SQL injection in the search endpoint"]
    assert (injection.severity, injection.status, injection.file_path, injection.line) == (
        3,
        Finding.Status.OPEN,
        "api/search.py",
        88,
    )
    assert injection.first_seen_audit == injection.last_seen_audit == result.audit
    cookie = findings["Session cookie without Secure flag"]
    assert cookie.status == Finding.Status.FIXED and cookie.fixed_at is not None
    assert result.findings_created == 5


def test_a_later_report_stating_the_same_finding_updates_it_instead_of_duplicating(db):
    first = report_import(content=content("en_bullets_scores_100.md"), create_project=True)
    later = (
        (REPORTS / "en_bullets_scores_100.md")
        .read_text()
        .replace("March 3, 2025", "April 3, 2025")
        .replace(
            "SQL injection in the search endpoint — `api/search.py:88`",
            "SQL injection in the search endpoint — `api/search.py:88` — fixed",
        )
    )
    second = report_import(content=later.encode(), project=first.project)
    assert second.findings_created == 0 and second.findings_updated == 5
    injection = Finding.objects.get(title="SQL injection in the search endpoint")
    assert injection.status == Finding.Status.FIXED
    assert injection.first_seen_audit == first.audit and injection.last_seen_audit == second.audit


def test_a_placeholder_date_leaves_the_audit_date_empty(project):
    result = report_import(content=content("en_placeholder_date.md"), project=project)
    audit = Audit.objects.get(pk=result.audit.pk)
    assert audit.audit_date is None and audit.valid_until is None
    assert audit.warnings[0].startswith("Date: the date is a placeholder")


def test_importing_into_another_project_than_the_report_names_is_a_warning(project, other_project):
    result = report_import(content=content("003_1458062adef007ce.txt"), project=project)
    assert result.audit.project == project
    assert (
        "The report names the project 'AetherFlow - Orchestrateur d'Agents IA'; it was "
        "imported into 'Champion Clone' as asked."
    ) in result.audit.warnings


def test_already_in_production_is_kept_next_to_the_verdict(db):
    result = report_import(content=content("fr_tableaux.md"), create_project=True)
    audit = Audit.objects.get(pk=result.audit.pk)
    assert audit.stated_verdict == Audit.Verdict.PRODUCTION_READY
    assert audit.extra_metrics["already_in_production"] is True
    assert audit.extra_metrics["response_time_ms"] == 180.0


def test_the_project_is_recomputed_after_the_import_commits(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = report_import(content=content("003_1458062adef007ce.txt"), project=project)
    assert callbacks  # the recompute runs after commit, not inside the import
    audit = Audit.objects.get(pk=result.audit.pk)
    assert audit.computed_verdict != Audit.Verdict.UNKNOWN


@pytest.mark.postgresql  # two writers at once: SQLite serialises whole databases
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_imports_of_one_report_make_one_audit_and_a_clear_error():
    """The second import passes the duplicate check before the first commits; the database's
    unique constraint (project, content hash) stops it, and it rolls back with a message."""
    project = Project.objects.create(name="Race", slug="race")
    report = content("000_1fb18fdaa5fc337e.txt")
    first_saved, release = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                report_import(content=report, project=project)
                first_saved.set()
                release.wait(30)  # keep the first import uncommitted
        finally:
            connection.close()

    def second() -> None:
        try:
            outcome["result"] = report_import(content=report, project=project)
        except ReportError as exc:
            outcome["error"] = str(exc)
        finally:
            connection.close()

    a = threading.Thread(target=first)
    a.start()
    assert first_saved.wait(30)
    b = threading.Thread(target=second)
    b.start()
    # Release the first import only once the second is blocked on the unique index.
    deadline = time.monotonic() + 30
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            time.sleep(0.05)
        else:
            pytest.fail("the second import never waited on the first one")
    release.set()
    a.join(30)
    b.join(30)
    assert outcome == {
        "error": "This report was imported into the project at the same moment by "
        "someone else; nothing changed."
    }
    assert Audit.objects.filter(project=project).count() == 1
    assert Checklist.objects.filter(project=project).count() == 1
