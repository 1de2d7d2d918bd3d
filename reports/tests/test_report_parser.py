"""Reading what a report states: general rules on headings, tables, lists and score patterns."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from projects.models import MaturityDomain
from reports.encoding import decode_report
from reports.errors import ReportError
from reports.parser import map_verdict, parse_count, parse_date, parse_report

REPORTS = Path(__file__).parent / "samples"


def parse(text: str):
    return parse_report(text, domains=MaturityDomain.objects.all())


def parse_file(name: str):
    text, _notes = decode_report((REPORTS / name).read_bytes())
    return parse(text)


def scores_by_slug(report) -> dict[str, Decimal | None]:
    slugs = dict(MaturityDomain.objects.values_list("pk", "slug"))
    return {slugs[s.domain_id]: s.score for s in report.scores.values()}


@pytest.mark.parametrize(
    ("written", "expected", "problem"),
    [
        ("2025-12-31", dt.date(2025, 12, 31), ""),
        ("31/12/2025", dt.date(2025, 12, 31), ""),
        ("December 31, 2025", dt.date(2025, 12, 31), ""),
        ("31 December 2025", dt.date(2025, 12, 31), ""),
        ("1er mars 2025", dt.date(2025, 3, 1), ""),
        ("12 décembre 2024", dt.date(2024, 12, 12), ""),
        ("Février 2025", dt.date(2025, 2, 1), "day not stated"),
        ("Aug 2024", dt.date(2024, 8, 1), "day not stated"),
        ("$(date +%Y-%m-%d)", None, "placeholder"),
        ("`date`", None, "placeholder"),
        ("YYYY-MM-DD", None, "placeholder"),
        ("soon", None, "not a date"),
        ("not stated", None, "no date stated"),
        ("2025-02-30", None, "not a valid date"),
    ],
)
def test_dates_are_read_in_english_and_french_with_or_without_the_day(written, expected, problem):
    date, found_problem = parse_date(written)
    assert date == expected
    assert (problem in found_problem) if problem else found_problem == ""


@pytest.mark.parametrize(
    ("written", "verdict", "in_production"),
    [
        ("PRODUCTION READY", "production_ready", False),
        ("Prêt pour la production", "production_ready", False),
        ("🟡 PRÊT POUR REVUE (avec réserves)", "with_reservations", False),
        ("Ready with reservations", "with_reservations", False),
        ("Not production ready", "not_ready", False),
        ("Pas prêt pour la production", "not_ready", False),
        ("NO-GO", "not_ready", False),
        ("Already in production", "production_ready", True),
        ("Déjà en production", "production_ready", True),
        ("Ready, no reservations", "production_ready", False),
        ("Unknown", "unknown", False),
        ("Blue", None, False),
    ],
)
def test_stated_verdicts_are_mapped_from_english_and_french_wording(written, verdict, in_production):
    assert map_verdict(written) == (verdict, in_production)


@pytest.mark.parametrize(
    ("written", "count"),
    [
        ("105", 105),
        ("~28,000", 28000),
        ("96 500", 96500),
        ("18.4k", 18400),
        ("1 204 fichiers", 1204),
        ("17 skills", 17),
        ("about", None),
    ],
)
def test_counts_are_read_with_separators_and_suffixes(written, count):
    assert parse_count(written) == count


def test_the_english_sample_states_its_metrics_date_verdict_and_checklist(db):
    report = parse_file("000_1fb18fdaa5fc337e.txt")
    assert report.project_name == "Champion Clone"
    assert report.audit_date == dt.date(2025, 12, 31)
    assert report.version == "V2 with AuditAgent"
    assert report.verdict == "production_ready"
    assert report.metrics == {
        "tests_passed": 447,
        "tests_skipped": 4,
        "coverage_percent": Decimal("77"),
        "security_high": 0,
        "security_medium": 1,
        "security_low": 54,
        "files_count": 105,
        "lines_of_code": 28000,
    }
    [checklist] = report.checklists
    assert checklist.title == "Deployment Checklist"
    assert len(checklist.items) == 9
    assert checklist.items[0].text == "Set `JWT_SECRET` (openssl rand -hex 32)"
    assert {i.state for i in checklist.items} == {"todo"}
    assert report.findings == []
    assert report.summary.startswith(
        "The Champion Clone V2 backend is **production ready** with:\n"
        "- **77% test coverage** across 447 tests\n"
    )


def test_the_french_sample_states_five_domain_scores_and_a_global_of_six(db):
    report = parse_file("003_1458062adef007ce.txt")
    assert report.project_name == "AetherFlow - Orchestrateur d'Agents IA"
    assert report.audit_date == dt.date(2025, 2, 1)
    assert report.verdict == "with_reservations"
    assert scores_by_slug(report) == {
        "code-quality": Decimal("7.0"),
        "security": Decimal("5.0"),
        "deployment": Decimal("7.0"),
        "documentation": Decimal("6.0"),
        "testing": Decimal("5.0"),
    }
    assert report.stated_global == Decimal("6.0")
    assert report.checklist_item_count == 44
    assert [c.title for c in report.checklists] == [
        "CRITIQUE - À TRAITER EN PRIORITÉ",
        "IMPORTANT - AMÉLIORATIONS REQUISES",
        "CHECKLIST PRÉ-REVUÉ",
    ]
    assert {i.state for c in report.checklists for i in c.items} == {"todo"}
    assert report.checklists[0].items[0].section == "Gestion des Secrets API"


def test_a_stated_global_further_than_a_tenth_from_the_weighted_mean_is_an_inconsistency(db):
    # 003: weights 1.0 / 1.5 / 1.0 / 0.75 / 1.25 give 32.25 / 5.5 = 5.86, stated 6.
    report = parse_file("003_1458062adef007ce.txt")
    assert report.inconsistency == {"stated_global": "6.0", "weighted_mean": "5.86", "difference": "0.14"}
    assert any(w.startswith("Inconsistency:") for w in report.warnings)


def test_a_stated_global_within_a_tenth_of_the_weighted_mean_is_consistent(db):
    report = parse(
        "# A\n\n| Domain | Score |\n|---|---|\n| Security | 6/10 |\n| Docs | 8/10 |\n| Global | 6.7/10 |\n"
    )
    # (6 * 1.5 + 8 * 0.75) / 2.25 = 6.67
    assert report.stated_global == Decimal("6.7")
    assert report.inconsistency is None


def test_scores_in_bullets_on_a_hundred_scale_with_emoji_and_comments(db):
    report = parse_file("en_bullets_scores_100.md")
    assert scores_by_slug(report) == {
        "security": Decimal("3.5"),
        "testing": Decimal("6.0"),
        "code-quality": Decimal("7.2"),
        "observability": Decimal("4.0"),
    }
    assert report.stated_global == Decimal("5.2")
    assert (
        "Score 'Teamwork' (80/100) matches no maturity domain; kept as a stated score of the audit."
        in report.warnings
    )
    assert {s.label: s.score for s in report.unmapped_scores} == {
        "Teamwork": Decimal("8.0"),
        "Monitoring and alerting maturity": Decimal("5.5"),
    }
    assert any(w.startswith("Observability is scored twice (40/100 and 55/100)") for w in report.warnings)


def test_scores_in_a_french_table_with_bold_commas_and_emoji(db):
    report = parse_file("fr_tableaux.md")
    assert scores_by_slug(report) == {
        "security": Decimal("8.0"),
        "code-quality": Decimal("7.5"),
        "observability": Decimal("6.0"),
        "reliability": Decimal("9.0"),
        "deployment": Decimal("8.0"),
    }
    assert report.stated_global == Decimal("7.7")
    assert any("'Ergonomie'" in w for w in report.warnings)


def test_a_score_column_headed_on_a_hundred_scale_is_brought_to_ten(db):
    report = parse_file("en_placeholder_date.md")
    assert scores_by_slug(report) == {
        "architecture": Decimal("7.0"),
        "performance": Decimal("6.5"),
        "documentation": Decimal("5.0"),
    }
    assert report.stated_global == Decimal("6.3")


def test_a_score_line_under_a_domain_heading_belongs_to_that_domain(db):
    report = parse("# Audit\n\n## Sécurité\n\nNote : 4/10\n\n## Performance\n\n- Score: 8/10\n")
    assert scores_by_slug(report) == {"security": Decimal("4.0"), "performance": Decimal("8.0")}


def test_metrics_in_lines_and_french_tables(db):
    en = parse_file("en_bullets_scores_100.md")
    assert en.metrics == {
        "tests_passed": 120,
        "tests_failed": 3,
        "tests_skipped": 2,
        "coverage_percent": Decimal("64.5"),
        "branch_coverage_percent": Decimal("51"),
        "security_critical": 1,
        "security_high": 2,
        "security_medium": 4,
        "security_low": 9,
        "files_count": 212,
        "lines_of_code": 18400,
    }
    assert en.extra_metrics == {"response_time_ms": 320.0, "availability_percent": 99.5}
    fr = parse_file("fr_tableaux.md")
    assert fr.metrics == {
        "tests_passed": 842,
        "tests_failed": 0,
        "tests_skipped": 12,
        "coverage_percent": Decimal("81.5"),
        "security_critical": 0,
        "security_high": 1,
        "security_medium": 3,
        "security_low": 7,
        "files_count": 1204,
        "lines_of_code": 96500,
    }
    assert fr.extra_metrics == {
        "response_time_ms": 180.0,
        "availability_percent": 99.95,
        "Dette technique": 12,
    }
    assert any("'Dette technique'" in w for w in fr.warnings)


def test_checkbox_states_and_sections_follow_the_headings_above_them(db):
    report = parse_file("en_bullets_scores_100.md")
    [checklist] = report.checklists
    assert checklist.title == "Release checklist"
    assert [(i.section, i.text, i.state) for i in checklist.items] == [
        ("Before release", "Rotate the AWS key", "done"),
        ("Before release", "Add the Secure flag to the session cookie", "done"),
        ("Before release", "Parameterise the search query", "todo"),
        ("After release", "Watch the error rate for 24 hours", "todo"),
    ]


def test_findings_under_problem_headings_with_severity_file_and_line(db):
    report = parse_file("en_bullets_scores_100.md")
    found = [(f.title, f.severity, f.status, f.file_path, f.line) for f in report.findings]
    assert found == [
        ("SQL injection in the search endpoint", 3, "open", "api/search.py", 88),
        ("Hard-coded AWS key", 3, "open", "config/settings.py", 14),
        ("Session cookie without Secure flag", 3, "fixed", "", None),
        ("Verbose error pages in staging", 1, "open", "", None),
        ("Missing rate limiting on login", 2, "open", "", None),
    ]
    assert "Finding 'Missing rate limiting on login': no severity stated; medium assumed." in report.warnings


def test_items_under_good_practices_are_not_findings_even_under_error_handling(db):
    report = parse_file("en_bullets_scores_100.md")
    assert "Errors are logged with a request id" not in [f.title for f in report.findings]
    sample = parse_file("003_1458062adef007ce.txt")
    assert "Try/catch avec contexte dans les clients LLM" not in [f.title for f in sample.findings]


def test_french_findings_from_a_table_and_from_a_list(db):
    report = parse_file("fr_tableaux.md")
    found = [(f.title, f.severity, f.status, f.file_path, f.line) for f in report.findings]
    assert found == [
        ("XSS réfléchi dans la recherche", 3, "open", "front/search.js", 42),
        ("En-tête CSP absent", 2, "fixed", "nginx/site.conf", None),
        ("Sauvegardes jamais restaurées en test", 4, "open", "", None),
        ("Journalisation des mots de passe en clair", 3, "open", "app/auth/views.py", 120),
    ]


def test_the_garbled_french_report_reads_exactly_like_the_clean_one(db):
    clean, garbled = parse_file("fr_tableaux.md"), parse_file("fr_tableaux_cp1252_garbled.md")
    assert garbled.scores == clean.scores
    assert garbled.findings == clean.findings
    assert garbled.checklists == clean.checklists
    assert garbled.verdict == clean.verdict == "production_ready"
    assert garbled.already_in_production


def test_a_placeholder_date_leaves_the_date_empty_with_a_warning(db):
    report = parse_file("en_placeholder_date.md")
    assert report.audit_date is None
    assert report.warnings[0].startswith("Date: the date is a placeholder")
    assert report.verdict == "with_reservations"
    assert report.project_name == "Inventory Service"


def test_a_missing_date_or_verdict_is_a_warning_not_an_error(db):
    report = parse("# Some audit\n\n- Security: 5/10\n- Docs: 6/10\n")
    assert report.audit_date is None
    assert report.verdict == "unknown"
    assert "No date found in the report; the audit date is left empty." in report.warnings
    assert "No verdict found in the report; left unknown." in report.warnings


@pytest.mark.parametrize(
    "text",
    [
        "just some words without any structure",
        "#!/usr/bin/env python\n# a comment\nprint('hi')\n",
        "# Shopping list\n\n- eggs\n- milk\n",
    ],
)
def test_text_that_is_not_a_report_is_refused_with_a_clear_message(db, text):
    with pytest.raises(ReportError, match="not"):
        parse(text)


def test_setext_headings_out_of_ten_scores_and_findings_written_as_headings(db):
    report = parse_file("en_setext_finding_headings.md")
    assert report.title == "Orders Service Security Review"
    assert report.project_name == "Orders Service"
    assert report.audit_date == dt.date(2024, 7, 7)
    assert report.verdict == "with_reservations"
    assert scores_by_slug(report) == {
        "security": Decimal("6.0"),
        "reliability": Decimal("8.5"),
        "documentation": Decimal("4.0"),
    }
    assert report.stated_global == Decimal("6.3") and report.inconsistency is None
    found = [(f.title, f.severity, f.status, f.file_path, f.line) for f in report.findings]
    assert found == [
        ("Hard-coded database password", 4, "open", "orders/settings.py", 31),
        ("Missing CSRF protection on refunds", 3, "fixed", "orders/views/refunds.py", 77),
        ("Outdated TLS configuration", 2, "open", "", None),
    ]
    assert report.findings[1].description == "The refund form posts without a token."
    [checklist] = report.checklists
    assert [(i.text, i.state) for i in checklist.items] == [
        ("Move the password to the vault", "done"),
        ("Add CSRF middleware checks to the CI", "todo"),
    ]


def test_french_scores_sur_dix_and_a_finding_heading_with_its_severity_below(db):
    report = parse(
        "# Revue de code — Facturation\n\n## Notes\n\n- Sécurité : 7 sur 10\n"
        "- Performance : 55 sur 100\n\n## Anomalies\n\n### Fuite mémoire du worker\n\n"
        "Gravité : majeure\nFichier : `billing/worker.py` ligne 210\n"
    )
    assert report.project_name == "Facturation"
    assert scores_by_slug(report) == {"security": Decimal("7.0"), "performance": Decimal("5.5")}
    [finding] = report.findings
    assert (finding.title, finding.severity, finding.file_path, finding.line) == (
        "Fuite mémoire du worker",
        3,
        "billing/worker.py",
        210,
    )


def test_severity_group_headings_are_not_findings_themselves(db):
    report = parse(
        "# Audit\n\n**Verdict:** not ready\n\n## Findings\n\n### High (2)\n\n- A\n- B\n\n### Low\n\n- C\n"
    )
    assert [(f.title, f.severity) for f in report.findings] == [("A", 3), ("B", 3), ("C", 1)]


def test_plural_names_and_the_aliases_added_for_reports_map_to_domains(db):
    report = parse(
        "# Audit\n\n- Performances : 6/10\n- Dette technique : 5/10\n"
        "- Sauvegardes : 7/10\n- Tests unitaires : 8/10\n- Logs : 4/10\n"
    )
    assert scores_by_slug(report) == {
        "performance": Decimal("6.0"),
        "code-quality": Decimal("5.0"),
        "reliability": Decimal("7.0"),
        "testing": Decimal("8.0"),
        "observability": Decimal("4.0"),
    }


def test_a_french_report_marked_out_of_twenty_with_numbered_weak_points(db):
    report = parse_file("fr_notes_sur_20.md")
    assert report.project_name == "Réservations"
    assert report.audit_date == dt.date(2025, 4, 5)
    assert report.verdict == "not_ready"
    assert scores_by_slug(report) == {
        "security": Decimal("4.5"),
        "performance": Decimal("7.5"),
        "testing": Decimal("6.0"),
        "observability": Decimal("4.0"),
    }
    assert report.stated_global == Decimal("5.3")  # 10,5/20
    found = [(f.title, f.severity, f.status, f.file_path, f.line) for f in report.findings]
    assert found == [
        ("injection SQL", 4, "open", "reservations/api.py", 57),
        ("mots de passe stockés en MD5", 3, "fixed", "", None),
        ("Pas de limite de débit sur l'API publique", 2, "open", "", None),
    ]
    assert [(i.text, i.state) for c in report.checklists for i in c.items] == [
        ("Corriger le stockage des mots de passe", "done"),
        ("Paramétrer toutes les requêtes SQL", "todo"),
        ("Ajouter une limite de débit", "todo"),
    ]


def test_a_fields_table_prose_metrics_and_a_findings_table(db):
    report = parse_file("en_fields_table_prose.md")
    assert report.project_name == "Billing Gateway"
    assert report.audit_date == dt.date(2024, 11, 3)
    assert (report.verdict, report.verdict_text) == ("with_reservations", "Conditional go")
    assert report.metrics == {"tests_passed": 1204, "tests_failed": 0, "coverage_percent": Decimal("88")}
    assert report.extra_metrics == {"response_time_ms": 95.0, "availability_percent": 99.98}
    assert scores_by_slug(report) == {
        "security": Decimal("6.0"),
        "code-quality": Decimal("8.0"),
        "deployment": Decimal("9.0"),
        "reliability": Decimal("7.0"),
    }
    assert report.stated_global == Decimal("7.2")
    assert report.inconsistency["weighted_mean"] == "7.33"
    found = [(f.title, f.severity, f.file_path, f.line) for f in report.findings]
    assert found == [
        ("JWT secret has a default value", 3, "billing/auth.py", 12),
        ("Stack traces in 500 pages", 1, "", None),
    ]


def test_a_coverage_label_followed_by_a_sentence_is_not_a_coverage_figure(db):
    report = parse("# Audit\n\n**Verdict:** ready\n\n- **Coverage**: increase it (currently 0%)\n")
    assert "coverage_percent" not in report.metrics
