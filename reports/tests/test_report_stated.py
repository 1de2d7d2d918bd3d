"""What a report states beyond the known domains: stated scores kept, mapped later, exported and
shown; findings through the findings service; project names without a name line; verdicts never
read backwards; damaged encodings and impossible values refused with a warning."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from findings.models import Finding
from projects.models import Audit, DomainScore, MaturityDomain, Project
from reports.encoding import decode_report
from reports.errors import ReportError
from reports.export import audit_to_markdown
from reports.models import StatedScore
from reports.parser import parse_report
from reports.services import report_import, stated_score_map

ROLES_REPORT = """# AUDIT COMPLET PERCHEPLUME - SOMMAIRE EXÉCUTIF

**Date** : 3 novembre 2025

## Score par rôle

| # | Rôle | Score |
|---|------|-------|
| 1 | Product Manager | 🟡 4/10 |
| 2 | Développeur backend | 🔴 2/10 |
| 3 | Sécurité | 6/10 |

## Risques majeurs

### Risque technique (Score : 7/10)
- Données simulées

Progression : 5/10 → 6/10 sur la sécurité applicative.
"""


def parse(text: str, file_name: str = ""):
    return parse_report(text, domains=MaturityDomain.objects.all(), file_name=file_name)


def test_scores_of_unknown_domains_are_kept_and_risk_scores_are_not_scores(db):
    report = parse(ROLES_REPORT)
    assert report.project_name == "PERCHEPLUME" and report.project_rule == "the title"
    stated = {s.label: s.score for s in report.stated_scores}
    assert stated == {
        "Product Manager": Decimal("4.0"),
        "Développeur backend": Decimal("2.0"),
        "Sécurité": Decimal("6.0"),
    }
    assert [s.label for s in report.unmapped_scores] == ["Product Manager", "Développeur backend"]
    assert any("Product Manager" in w and "kept as a stated score" in w for w in report.warnings)


def test_a_before_after_table_keeps_after_and_records_before(db):
    report = parse(
        "# Audit X\n\n| Domain | Before | After |\n|---|---|---|\n| Frontend | 6/10 | 8/10 |\n"
        "| **Global** | 6.0/10 | 7.5/10 |\n"
    )
    [frontend] = report.stated_scores
    assert (frontend.score, frontend.before) == (Decimal("8.0"), Decimal("6.0"))
    assert report.stated_global == Decimal("7.5")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("12/15", "8.0"),
        ("16/20", "8.0"),
        ("4/5", "8.0"),
        ("84/100", "8.4"),
        ("★★★☆☆", "6.0"),
        ("27.5/50", "5.5"),
    ],
)
def test_scales_and_per_row_maxima_are_brought_to_ten(db, written, expected):
    report = parse(f"# Audit X\n\n| Domain | Score |\n|---|---|\n| Frontend | {written} |\n")
    assert [s.score for s in report.stated_scores] == [Decimal(expected)]


@pytest.mark.parametrize(
    ("text", "scores", "global_score"),
    [
        ("| Area | Rating (1-5) |\n|---|---|\n| Frontend | 4 |\n", {"Frontend": "8.0"}, None),
        (
            "| Area | Score | Max |\n|---|---|---|\n| Frontend | 18 | 25 |\n| Total | 38 | 50 |\n",
            {"Frontend": "7.2"},
            "7.6",
        ),
        (
            "| Area | Score | Weighted |\n|---|---|---|\n| Frontend | 80 | 24 |\n"
            "| **Total** | | **72/100** |\n",
            {"Frontend": "8.0"},
            "7.2",
        ),
        ("- **Overall Score: 78%**\n- Coverage: 40%\n", {}, "7.8"),
        ("Coverage went from 40% to 65%. Overall maturity: 3.2/5.\n", {}, "6.4"),
    ],
)
def test_score_tables_with_ranges_maxima_and_weights_and_percent_scores(db, text, scores, global_score):
    report = parse(f"# Audit X\n\n**Verdict:** ready\n\n{text}")
    assert {s.label: str(s.score) for s in report.stated_scores} == scores
    assert report.stated_global == (Decimal(global_score) if global_score else None)


def test_negative_and_over_the_scale_scores_are_refused_with_a_warning(db):
    report = parse(
        "# Audit X\n\n**Verdict:** ready\n\n- Frontend: -3/10\n- Backend: 12/10\n- **Global: -5/10**\n"
    )
    assert report.stated_scores == [] and report.stated_global is None
    assert sum("outside 0–10" in w for w in report.warnings) == 3


def test_an_impossible_date_is_no_date_and_a_warning(db):
    report = parse("# Audit X\n\n**Date:** 2025-02-30\n**Verdict:** ready\n")
    assert report.audit_date is None
    assert any("not a valid date" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("statement", "verdict"),
    [
        ("**Freigabe:** NICHT Production-Ready", "not_ready"),
        ("**Statut :** l'application n'est pas prête pour la production", "not_ready"),
        ("**Veredicto:** no está listo para producción", "not_ready"),
        ("**Esito:** non ancora pronto per la produzione", "not_ready"),
        ("**Status:** não está pronto para produção", "not_ready"),
        ("**Eindoordeel:** niet klaar voor productie", "not_ready"),
        ("**Decision:** NO-GO", "not_ready"),
        ("**Gate:** CONCERNS", "with_reservations"),
        ("**Decision:** Approved with conditions", "with_reservations"),
        ("**Eindoordeel:** GO met voorbehoud", "with_reservations"),
        ("**Status:** APROVADO_COM_RESSALVAS", "with_reservations"),
        ("**Decision:** GO - approved for production release", "production_ready"),
        ("**Production ready:** No", "not_ready"),
        ("**Verdict:** Production-ready: NO", "not_ready"),
        ("**Ready for production:** ❌", "not_ready"),
        ("**Production Readiness:** ❌ NO", "not_ready"),
        ("**Recommendation:** Do not deploy until the blockers are fixed.", "not_ready"),
        ("**Status:** ⚠️ Needs work before production", "not_ready"),
        ("**Status:** BELUM SIAP untuk produksi", "not_ready"),
        ("**Állapot:** NEM élesíthető", "not_ready"),
        ("**Status:** READY FOR BETA LAUNCH with recommended improvements", "with_reservations"),
        ("**Ready for production:** ✅", "production_ready"),
        ("**Fazit:** Produktionsreif mit Einschränkungen", "with_reservations"),
        ("**Veredicto:** Apto para producción con observaciones", "with_reservations"),
        ("**Stato:** Non idoneo alla produzione", "not_ready"),
        ("**Parecer:** Reprovado para produção", "not_ready"),
        ("**Production Status:** PRODUCTION_READY_WITH_MONITORING", "with_reservations"),
        ("**Status:** Not blocked, ready to ship", "production_ready"),
    ],
)
def test_verdicts_in_seven_languages_are_never_read_backwards(db, statement, verdict):
    assert parse(f"# Audit X\n\n{statement}\n").verdict == verdict


def test_a_component_that_is_not_ready_does_not_make_the_project_not_ready(db):
    report = parse(
        "# Audit of Wren\n\n**Verdict:** PRODUCTION READY\n\n## Summary\n\n"
        "- The in-memory rate limiter is not production ready for a multi-node deployment.\n"
    )
    assert report.verdict == "production_ready"


def test_contradictory_verdicts_are_unknown_with_both_sentences_quoted(db):
    report = parse(
        "# Audit\n\n**Status:** NOT production ready\n\n## Conclusion\n\n"
        "With the fix merged, the Marlow platform is production ready.\n"
    )
    assert report.verdict == "unknown"
    [warning] = [w for w in report.warnings if w.startswith("Contradictory verdicts")]
    assert "NOT production ready" in warning and "the Marlow platform is production ready" in warning


@pytest.mark.parametrize(
    ("text", "file_name", "name", "rule"),
    [
        (
            "# Rapport d'audit et plan d'action - Backend Ortolan\n\nStatut : prêt\n",
            "",
            "Ortolan",
            "the title",
        ),
        (
            "# AUDIT CRITIQUE BACKEND MERIDIA - RAPPORT COMPLET\n\nVerdict : NO-GO\n",
            "",
            "MERIDIA",
            "the title",
        ),
        (
            "# Backend Audit Summary\n\n- **Path:** `/srv/work/quarry-platform/backend`\n- Status: ready\n",
            "",
            "quarry-platform",
            "the repository or folder named in the report",
        ),
        (
            "# Audit Report: https://github.com/owner/quillstone\n\nStatus: ready\n",
            "",
            "quillstone",
            "the repository named in the title",
        ),
        (
            "# Backend Audit Summary\n\nStatus: ready\n",
            "tidewater-api_BACKEND_AUDIT_SUMMARY.md",
            "tidewater-api",
            "the file name",
        ),
    ],
)
def test_a_project_name_is_found_in_any_report_and_the_rule_is_said(db, text, file_name, name, rule):
    report = parse(text, file_name)
    assert (report.project_name, report.project_rule) == (name, rule)


def test_create_project_never_refuses_for_want_of_a_name_and_says_which_rule_chose_it(db):
    result = report_import(
        content=b"# Backend Audit Summary\n\n**Status:** ready\n", file_name="notes.md", create_project=True
    )
    assert result.project.name == "notes"
    assert "Created the project 'notes' (name from the file name)." in result.messages
    nameless = report_import(content=b"# Backend Audit Summary\n\n**Status:** ready\n", create_project=True)
    assert nameless.project.name.startswith("Imported report ")


def test_metrics_in_locale_formats_yaml_blocks_and_counts_out_of_totals(db):
    report = parse(
        "# Audit X\n\n| Kennzahl | Wert |\n|---|---|\n| Codezeilen | 18.450 |\n| Testabdeckung | 61,5 % |\n"
        "| Tests | 165/183 passing, 16 failing |\n\n"
        "```yaml\ncoverage:\n  lines: 81.2\n  branches: 63.5\n```\n"
        "- Line coverage: 70% (target 80%)\n"
    )
    assert report.metrics["lines_of_code"] == 18450
    assert report.metrics["coverage_percent"] == Decimal("61.5")
    assert report.metrics["branch_coverage_percent"] == Decimal("63.5")
    assert (report.metrics["tests_passed"], report.metrics["tests_failed"]) == (165, 16)


def test_findings_from_severity_sections_tags_and_warning_marks_but_not_positive_lists(db):
    report = parse(
        "# Audit X\n\n## 🔴 KRITISCHE Schwachstellen\n\n### KRIT-01: Token ohne Prüfung\n"
        "**Datei:** `api/deps.py:48`\n\n### KRIT-02: Mandanten nicht getrennt\n\n## Sécurité — 4/10\n\n"
        "- 🔴 **[CRITIQUE]** Secret JWT par défaut\n- ⚠️ Deux modules partagent une entité\n\n"
        "## P0 BLOCKERS\n\n1. **[P0] HL7 unsigned** — `sync/hl7.py:57`\n\n"
        "## ✅ What works\n\n- ✅ Parameterised queries\n"
    )
    found = [(f.title, f.severity, f.file_path, f.line) for f in report.findings]
    assert found == [
        ("Token ohne Prüfung", 4, "api/deps.py", 48),
        ("Mandanten nicht getrennt", 4, "", None),
        ("Secret JWT par défaut", 4, "", None),
        ("Deux modules partagent une entité", 2, "", None),  # a ⚠️ item: medium, nothing says more
        ("HL7 unsigned", 4, "sync/hl7.py", 57),
    ]


def test_stated_scores_are_stored_exported_and_shown_on_the_audit_page(project, client, admin_user):
    result = report_import(content=ROLES_REPORT.encode(), project=project)
    audit = Audit.objects.get(pk=result.audit.pk)
    assert list(audit.stated_scores.values_list("label", "score", "domain__slug")) == [
        ("Product Manager", Decimal("4.0"), None),
        ("Développeur backend", Decimal("2.0"), None),
        ("Sécurité", Decimal("6.0"), "security"),
    ]
    markdown = audit_to_markdown(audit)
    assert "## Stated scores" in markdown and "| Product Manager | 4.0/10 |" in markdown
    copy = report_import(content=markdown.encode(), project=Project.objects.create(name="Copy", slug="copy"))
    assert {s.label for s in copy.parsed.unmapped_scores} == {"Product Manager", "Développeur backend"}
    client.force_login(admin_user)
    page = client.get(reverse("audit-detail", args=[audit.pk])).content.decode()
    assert 'id="stated-scores"' in page and "Développeur backend" in page


def test_mapping_a_label_makes_it_an_alias_scores_past_audits_and_maps_future_imports(project):
    first = report_import(content=ROLES_REPORT.encode(), project=project).audit
    architecture = MaturityDomain.objects.get(slug="architecture")
    stated = StatedScore.objects.get(audit=first, label="Développeur backend")
    assert stated_score_map(stated_score=stated, domain=architecture) == 1
    assert "Développeur backend" in MaturityDomain.objects.get(pk=architecture.pk).aliases
    assert DomainScore.objects.get(audit=first, domain=architecture).score == Decimal("2.0")
    again = ROLES_REPORT.replace("2/10", "3/10").encode()
    later = report_import(content=again, project=project).audit
    assert StatedScore.objects.get(audit=later, label="Développeur backend").domain == architecture
    with pytest.raises(ReportError, match="already names the domain"):
        stated_score_map(
            stated_score=StatedScore.objects.get(audit=later, label="Sécurité"), domain=architecture
        )


def test_findings_are_written_by_the_findings_service_with_scan_status_rules(project):
    report = (
        "# Audit of X\n\n**Date:** 2025-01-01\n\n## Issues\n\n- [High] Open redirect — `web/views.py:10`\n"
    )
    first = report_import(content=report.encode(), project=project).audit
    finding = Finding.objects.get(project=project)
    assert (finding.tool, finding.status, finding.first_seen_audit) == ("report", "open", first)
    Finding.objects.filter(pk=finding.pk).update(status="accepted_risk")
    second = report_import(content=report.replace("2025-01-01", "2025-02-01").encode(), project=project).audit
    finding.refresh_from_db()
    assert (finding.status, finding.last_seen_audit) == ("accepted_risk", second)  # a human decision is kept
    Finding.objects.filter(pk=finding.pk).update(status="fixed")
    report_import(content=report.replace("2025-01-01", "2025-03-01").encode(), project=project)
    finding.refresh_from_db()
    assert finding.status == "open" and finding.reopened_at is not None and finding.fixed_at is None


def test_utf16_nul_bytes_lone_surrogates_and_mixed_encodings_are_read(db):
    text, _ = decode_report("# Sécurité\r\n".encode("utf-16"))
    assert text == "# Sécurité\n"
    long_text = b"# Audit X\n\n" + b"A line of the report.\n" * 20
    text, notes = decode_report(long_text.replace(b"X", b"X\x00", 1))
    assert text == long_text.decode() and notes == ["Removed 1 NUL byte(s) from the file."]
    # "# " + U+1F50D written as a CESU-8 surrogate pair + a lone surrogate + "Versão" in Latin-1.
    mixed = (
        b"# \xed\xa0\xbd\xed\xb4\x8d Audit \xed\xa0\x80\n**Vers\xe3o:** 2.0\n"
        b"**Pontua\xc3\xa7\xc3\xa3o:** 9/10\n"
    )
    text, notes = decode_report(mixed)
    assert text == "# 🔍 Audit \n**Versão:** 2.0\n**Pontuação:** 9/10\n"
    assert "Removed 1 lone surrogate character(s)." in notes


def test_templates_changelogs_and_readmes_are_not_reports(db):
    with pytest.raises(ReportError, match="template"):
        parse(
            "# Rapport d'audit - {{PROJECT_NAME}}\n\n**Date :** YYYY-MM-DD\n"
            "**Version :** {{VERSION}}\n\n| Sécurité | __/10 |\n"
        )
    with pytest.raises(ReportError, match="does not look like an audit report"):
        parse(
            "# Changelog\n\n## [2.4.0] - 2026-02-11\n\n### Fixed\n- Critical: session fixation after reset\n"
        )
    with pytest.raises(ReportError, match="does not look like an audit report"):
        parse(
            "# Gannet Queue\n\nA small, production-ready job queue.\n\n"
            "## Known issues\n\n- Drift\n\n- [ ] Dashboard\n"
        )


def test_the_report_date_is_in_any_of_the_seven_languages(db):
    for written, date in (
        ("19. November 2025", dt.date(2025, 11, 19)),
        ("17 de enero de 2026", dt.date(2026, 1, 17)),
        ("6 febbraio 2026", dt.date(2026, 2, 6)),
        ("12 maart 2026", dt.date(2026, 3, 12)),
        ("3 de março de 2026", dt.date(2026, 3, 3)),
    ):
        assert parse(f"# Audit X\n\n**Datum:** {written}\n**Status:** ready\n").audit_date == date


def test_a_summary_drawn_in_a_box_is_read(db):
    report = parse(
        "# Readiness Audit - Visual Overview\n\n```\n┌──────────────────────────┐\n"
        "│     OVERALL VERDICT      │\n│ ✅ PRODUCTION READY       │\n│ Security ..... 8/10      │\n"
        "└──────────────────────────┘\n```\n"
    )
    assert report.verdict == "production_ready"
    assert [(s.label, s.score) for s in report.stated_scores] == [("Security", Decimal("8.0"))]


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (
            "## Security\n\n### 🔴 Critical: SQL injection in search\n\nThe query concatenates input.\n",
            [("SQL injection in search", 4)],
        ),
        (
            "## Security Findings\n\n| # | Issue | Risk | Location |\n|---|---|---|---|\n"
            "| 1 | SQL injection | High | api/search.py:12 |\n",
            [("SQL injection", 3)],
        ),
        (
            "## Issues Found\n\n**Critical**\n- Secrets committed\n\n**Medium**\n- Verbose logs\n\n"
            "**Strengths:**\n- Clean modules\n",
            [("Secrets committed", 4), ("Verbose logs", 2)],
        ),
    ],
)
def test_findings_in_headings_risk_columns_and_bold_labels(db, body, found):
    report = parse(f"# Audit of Foo\n\n**Status:** ready\n\n{body}")
    assert [(f.title, f.severity) for f in report.findings] == found


def test_pasted_test_runner_and_coverage_output_gives_the_metrics(db):
    report = parse(
        "# Audit of Foo\n\n**Status:** ready\n\n"
        "```\n===== 203 passed, 7 failed, 4 skipped in 12.3s =====\n```\n\n"
        "```\nName    Stmts   Miss  Cover\nTOTAL    1234     56    95%\n```\n"
    )
    assert report.metrics == {
        "tests_passed": 203,
        "tests_failed": 7,
        "tests_skipped": 4,
        "coverage_percent": Decimal("95"),
    }
