"""audit_to_markdown and the export_report command: any audit as a Markdown report."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding
from projects.models import Audit, DomainScore, MaturityDomain, Project
from reports.export import audit_to_markdown
from reports.services import report_import

REPORTS = Path(__file__).parent / "samples"


@pytest.fixture
def full_audit(project):
    audit = Audit.objects.create(
        project=project,
        title="Backend audit V3",
        audit_date=dt.date(2025, 6, 1),
        version_label="3.0",
        stated_verdict=Audit.Verdict.WITH_RESERVATIONS,
        computed_verdict=Audit.Verdict.NOT_READY,
        status=Audit.Status.COMPLETED,
        tests_passed=310,
        tests_failed=2,
        tests_skipped=5,
        coverage_percent=Decimal("81.25"),
        security_high=1,
        security_low=7,
        files_count=140,
        lines_of_code=21000,
        global_score=Decimal("6.6"),
        extra_metrics={"response_time_ms": 240.5},
    )
    for slug, score in (("security", "5.5"), ("testing", "8.0"), ("observability", None)):
        DomainScore.objects.create(
            audit=audit, domain=MaturityDomain.objects.get(slug=slug), score=Decimal(score) if score else None
        )
    Finding.objects.create(
        project=project,
        first_seen_audit=audit,
        last_seen_audit=audit,
        title="Secrets in settings",
        severity=3,
        fingerprint="a",
        file_path="app/settings.py",
        line=12,
    )
    Finding.objects.create(
        project=project,
        first_seen_audit=audit,
        last_seen_audit=audit,
        title="Debug toolbar enabled",
        severity=1,
        fingerprint="b",
        status=Finding.Status.FIXED,
    )
    Finding.objects.create(project=project, title="Not seen in this audit", fingerprint="c")
    checklist = Checklist.objects.create(project=project, audit=audit, title="Go-live")
    ChecklistItem.objects.create(
        checklist=checklist, order=1, section="Security", text="Rotate keys", state="done"
    )
    ChecklistItem.objects.create(checklist=checklist, order=2, section="Security", text="Enable HSTS")
    ChecklistItem.objects.create(
        checklist=checklist, order=3, section="Ops", text="Set up a pager", state="na", note="No on-call team"
    )
    return audit


def test_the_export_has_header_metrics_scores_findings_and_checklists(full_audit):
    markdown = audit_to_markdown(full_audit)
    assert markdown.startswith("# Backend audit V3\n")
    for line in (
        "**Project:** Champion Clone  ",
        "**Date:** 2025-06-01  ",
        "**Version:** 3.0  ",
        "**Verdict:** Ready with reservations  ",
        "**Computed gate:** Not production ready  ",
        "| Tests passed | 310 |",
        "| Tests failed | 2 |",
        "| Line coverage | 81.25% |",
        "| Security issues high | 1 |",
        "| Lines of code | 21000 |",
        "| Response time | 240.5 ms |",
        "| Security | 5.5/10 | Manual |",
        "| Observability | not measured | Manual |",
        "| **Global** | **6.6/10** | weighted mean |",
        "### High (1)",
        "- Secrets in settings — `app/settings.py:12` — open",
        "### Low (1)",
        "- Debug toolbar enabled — fixed",
        "## Checklist: Go-live",
        "### Security",
        "- [x] Rotate keys",
        "- [ ] Enable HSTS",
        "- [ ] Set up a pager — not applicable: No on-call team",
    ):
        assert line in markdown.splitlines(), line
    assert "Not seen in this audit" not in markdown
    assert (
        markdown.index("## Metrics")
        < markdown.index("## Maturity scores")
        < markdown.index("## Findings")
        < markdown.index("## Checklist: Go-live")
    )


def test_the_export_reads_a_constant_number_of_queries(full_audit, django_assert_num_queries):
    with django_assert_num_queries(6):
        audit_to_markdown(full_audit)
    checklist = Checklist.objects.create(project=full_audit.project, audit=full_audit, title="More")
    ChecklistItem.objects.bulk_create(
        [ChecklistItem(checklist=checklist, order=i, text=f"item {i}") for i in range(20)]
    )
    Finding.objects.bulk_create(
        [
            Finding(
                project=full_audit.project, title=f"f{i}", fingerprint=f"x{i}", first_seen_audit=full_audit
            )
            for i in range(20)
        ]
    )
    with django_assert_num_queries(6):
        audit_to_markdown(full_audit)


def test_importing_the_export_gives_the_same_audit_back(full_audit):
    other = Project.objects.create(name="Copy", slug="copy")
    result = report_import(content=audit_to_markdown(full_audit).encode(), project=other)
    copy = Audit.objects.get(pk=result.audit.pk)
    assert dict(copy.domain_scores.values_list("domain__slug", "score")) == dict(
        full_audit.domain_scores.values_list("domain__slug", "score")
    )
    assert copy.stated_global_score == full_audit.global_score
    fields = (
        "audit_date",
        "version_label",
        "stated_verdict",
        "tests_passed",
        "tests_failed",
        "tests_skipped",
        "coverage_percent",
        "security_high",
        "security_low",
        "files_count",
        "lines_of_code",
        "extra_metrics",
    )
    assert {f: getattr(copy, f) for f in fields} == {f: getattr(full_audit, f) for f in fields}
    assert list(
        Finding.objects.filter(project=other)
        .order_by("title")
        .values_list("title", "severity", "status", "file_path", "line")
    ) == [
        ("Debug toolbar enabled", 1, "fixed", "", None),
        ("Secrets in settings", 3, "open", "app/settings.py", 12),
    ]
    assert list(
        ChecklistItem.objects.filter(checklist__audit=copy)
        .order_by("order")
        .values_list("checklist__title", "section", "text", "state", "note")
    ) == [
        ("Go-live", "Security", "Rotate keys", "done", ""),
        ("Go-live", "Security", "Enable HSTS", "todo", ""),
        ("Go-live", "Ops", "Set up a pager", "na", "No on-call team"),
    ]
    assert copy.warnings == [
        "The report names the project 'Champion Clone'; it was imported into 'Copy' as asked."
    ]


@pytest.mark.parametrize(
    "name",
    [
        "000_1fb18fdaa5fc337e.txt",
        "003_1458062adef007ce.txt",
        "en_bullets_scores_100.md",
        "fr_tableaux.md",
        "en_setext_finding_headings.md",
        "fr_notes_sur_20.md",
    ],
)
def test_an_imported_sample_exported_and_imported_again_keeps_its_values(db, name):
    first = report_import(content=(REPORTS / name).read_bytes(), create_project=True).audit
    first = Audit.objects.get(pk=first.pk)
    other = Project.objects.create(name="Round trip", slug="round-trip")
    second = Audit.objects.get(
        pk=report_import(content=audit_to_markdown(first).encode(), project=other).audit.pk
    )
    fields = (
        "title",
        "audit_date",
        "version_label",
        "stated_verdict",
        "stated_global_score",
        "global_score",
        "tests_passed",
        "tests_failed",
        "tests_skipped",
        "coverage_percent",
        "branch_coverage_percent",
        "security_critical",
        "security_high",
        "security_medium",
        "security_low",
        "files_count",
        "lines_of_code",
        "extra_metrics",
        "summary",
    )
    assert {f: getattr(second, f) for f in fields} == {f: getattr(first, f) for f in fields}
    assert dict(second.domain_scores.values_list("domain_id", "score")) == dict(
        first.domain_scores.values_list("domain_id", "score")
    )
    items = ("checklist__title", "section", "text", "state")
    assert list(
        ChecklistItem.objects.filter(checklist__audit=second)
        .order_by("checklist_id", "order")
        .values_list(*items)
    ) == list(
        ChecklistItem.objects.filter(checklist__audit=first)
        .order_by("checklist_id", "order")
        .values_list(*items)
    )
    finding = ("title", "severity", "status", "file_path", "line")
    assert sorted(Finding.objects.filter(project=other).values_list(*finding)) == sorted(
        Finding.objects.filter(project=first.project).values_list(*finding)
    )


def test_the_command_prints_the_report_or_writes_it_to_a_file(full_audit, capsys, tmp_path):
    call_command("export_report", str(full_audit.pk))
    assert capsys.readouterr().out == audit_to_markdown(full_audit)
    target = tmp_path / "audit.md"
    call_command("export_report", str(full_audit.pk), "--format", "md", "--output", str(target))
    assert target.read_text(encoding="utf-8") == audit_to_markdown(full_audit)


def test_the_command_refuses_an_unknown_audit(db):
    with pytest.raises(CommandError, match="No audit with id 999"):
        call_command("export_report", "999")


def test_a_summary_is_exported_last_and_quoted_so_it_cannot_change_the_import(full_audit):
    full_audit.summary = "## Findings\n\n- [ ] not a checklist item\n- Security: 1/10\n**Verdict:** ready"
    full_audit.save()
    markdown = audit_to_markdown(full_audit)
    assert markdown.rstrip().endswith("> **Verdict:** ready")
    other = Project.objects.create(name="Copy", slug="copy")
    copy = report_import(content=markdown.encode(), project=other).audit
    assert copy.stated_verdict == Audit.Verdict.WITH_RESERVATIONS
    assert copy.domain_scores.get(domain__slug="security").score == Decimal("5.5")
    assert not ChecklistItem.objects.filter(checklist__audit=copy, text="not a checklist item").exists()
