"""The import_report command: files in, audits out, clear messages for what cannot be imported."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from projects.models import Audit, Project

REPORTS = Path(__file__).parent / "samples"
SAMPLES = [str(REPORTS / "000_1fb18fdaa5fc337e.txt"), str(REPORTS / "003_1458062adef007ce.txt")]


def test_both_samples_are_imported_into_the_projects_they_name(db, capsys):
    call_command("import_report", "--create-project", *SAMPLES)
    out = capsys.readouterr().out
    assert "imported as audit" in out and "(new project)" in out
    assert "stated verdict: production_ready" in out
    assert "checklists: 3 (44 items)" in out
    assert "repaired: Repaired the encoding: the report was UTF-8 read as Mac Roman." in out
    assert "warning: Inconsistency:" in out
    assert sorted(Project.objects.values_list("name", flat=True)) == ["AetherFlow", "Champion Clone"]
    assert Audit.objects.filter(kind=Audit.Kind.IMPORTED).count() == 2


def test_a_second_run_says_already_imported_and_changes_nothing(db, capsys):
    call_command("import_report", "--create-project", *SAMPLES)
    call_command("import_report", "--create-project", *SAMPLES)
    assert capsys.readouterr().out.count("already imported as audit") == 2
    assert Audit.objects.count() == 2


def test_a_dry_run_writes_nothing(db, capsys):
    call_command("import_report", "--dry-run", "--create-project", *SAMPLES)
    assert capsys.readouterr().out.count("[dry run]") == 2
    assert Audit.objects.count() == 0 and Project.objects.count() == 0


def test_project_imports_into_the_given_project(project, capsys):
    call_command("import_report", "--project", project.slug, SAMPLES[1])
    assert Audit.objects.get().project == project


def test_an_unknown_project_slug_is_refused(db):
    with pytest.raises(CommandError, match="No project with the slug 'nope'"):
        call_command("import_report", "--project", "nope", SAMPLES[0])


def test_bad_files_are_reported_and_the_good_ones_still_imported(db, capsys):
    with pytest.raises(CommandError, match="2 of 3 file"):
        call_command(
            "import_report",
            "--create-project",
            str(REPORTS / "not_a_report.py"),
            str(REPORTS / "missing.md"),
            SAMPLES[0],
        )
    err = capsys.readouterr().err
    assert "not_a_report.py: This file does not look like an audit report" in err
    assert "missing.md: cannot read the file" in err
    assert Audit.objects.count() == 1


def test_a_report_about_an_unknown_project_needs_create_project(db, capsys):
    with pytest.raises(CommandError):
        call_command("import_report", SAMPLES[0])
    assert "'Champion Clone', which does not exist" in capsys.readouterr().err
    assert Audit.objects.count() == 0
