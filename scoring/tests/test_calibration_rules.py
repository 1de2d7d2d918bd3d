"""The calibration bench's ordering checks, on synthetic rows (no repository is scanned)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from decimal import Decimal
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "calibration.py"


def _load():
    spec = importlib.util.spec_from_file_location("calibration_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through sys.modules
    spec.loader.exec_module(module)
    return module


cal = _load()


def row(name: str, cls: str, language: str, security: str | None, global_score: str | None):
    return cal.Row(
        name,
        cls,
        language,
        security=None if security is None else Decimal(security),
        global_score=None if global_score is None else Decimal(global_score),
    )


def by_title(checks, start: str):
    (check,) = [c for c in checks if c.title.startswith(start)]
    return check


def test_trusted_must_be_strictly_above_vulnerable_of_the_same_language_only():
    rows = [
        row("t-py", cal.TRUSTED, "python", "7.0", "7.0"),
        row("v-py", cal.VULNERABLE, "python", "7.0", "3.0"),  # a tie in Security is wrong
        row("v-go", cal.VULNERABLE, "go", "9.0", "9.0"),  # another language: not compared
    ]
    checks = cal.ordering_checks(rows)
    security = by_title(checks, "trusted above vulnerable of the same language (Security)")
    overall = by_title(checks, "trusted above vulnerable of the same language (global)")
    assert (security.right, security.total, security.passed) == (0, 1, False)
    assert security.offenders == ["t-py 7.0 <= v-py 7.0 (python)"]
    assert (overall.right, overall.total, overall.passed) == (1, 1, True)


def test_thresholds_are_inclusive_and_not_measured_is_always_wrong():
    rows = [
        row("t-ok", cal.TRUSTED, "rust", "6.0", "6.0"),
        row("t-low", cal.TRUSTED, "rust", "5.9", None),
        row("v-ok", cal.VULNERABLE, "java", "4.0", "8.0"),
        row("v-high", cal.VULNERABLE, "java", "4.1", "1.0"),
        row("v-nm", cal.VULNERABLE, "java", None, "1.0"),
    ]
    checks = cal.ordering_checks(rows)
    assert by_title(checks, "trusted >= 6 (Security)").offenders == ["t-low 5.9"]
    assert by_title(checks, "trusted >= 6 (global)").offenders == ["t-low n/m"]
    vulnerable = by_title(checks, "vulnerable <= 4")
    assert (vulnerable.right, vulnerable.total) == (1, 3)
    assert vulnerable.offenders == ["v-high 4.1", "v-nm n/m"]
    measured = by_title(checks, "Security measured")
    assert (measured.right, measured.total) == (4, 5)
    assert measured.offenders == ["v-nm (java): not measured"]


def test_unmeasured_security_never_counts_as_above_or_below():
    rows = [row("t", cal.TRUSTED, "go", None, "8.0"), row("v", cal.VULNERABLE, "go", "1.0", "2.0")]
    security = by_title(cal.ordering_checks(rows), "trusted above vulnerable of the same language (Security)")
    assert security.offenders == ["t n/m <= v 1.0 (go)"]


def test_summary_counts_every_comparison():
    rows = [
        row("t1", cal.TRUSTED, "python", "8.0", "8.0"),
        row("t2", cal.TRUSTED, "python", "5.0", "6.5"),
        row("v1", cal.VULNERABLE, "python", "3.0", "7.0"),
    ]
    checks = cal.ordering_checks(rows)
    # right/total: pairs 2/2 (Security) + 1/2 (global: t2 below v1); thresholds 1/2 + 2/2 + 1/1;
    # measured 3/3
    assert cal.summary_line(checks) == "10 of 12 comparisons right; 4 of 6 checks pass"


def test_extra_repositories_are_parsed_and_bad_ones_refused_with_a_message():
    assert cal.parse_extra("flask=trusted:Python") == cal.PanelRepo("flask", cal.TRUSTED, "python")
    for bad in ("flask", "flask=safe:python", "flask=trusted:", "../x=trusted:go", "=vulnerable:go"):
        with pytest.raises(argparse.ArgumentTypeError, match="--extra"):
            cal.parse_extra(bad)


def test_panel_selection_adds_extras_and_refuses_unknown_names():
    extra = cal.parse_extra("flask=trusted:python")
    names = [r.name for r in cal.select_panel([extra], "")]
    assert names[: len(cal.PANEL)] == [r.name for r in cal.PANEL] and names[-1] == "flask"
    assert [r.name for r in cal.select_panel([extra], "flask,chi")] == ["flask", "chi"]
    with pytest.raises(SystemExit, match="not in the panel: nope"):
        cal.select_panel([], "nope")


def test_panel_compares_every_language_that_has_a_vulnerable_repository():
    trusted = {r.language for r in cal.PANEL if r.cls == cal.TRUSTED}
    vulnerable = {r.language for r in cal.PANEL if r.cls == cal.VULNERABLE}
    assert vulnerable <= trusted
    assert len({r.name for r in cal.PANEL}) == len(cal.PANEL)


def test_without_the_folder_variable_the_bench_skips_and_succeeds(monkeypatch, capsys):
    monkeypatch.delenv(cal.ENV_VAR, raising=False)
    assert cal.main([]) == 0
    assert "Calibration skipped" in capsys.readouterr().out


def test_each_check_names_its_closest_right_comparison_and_the_margin():
    rows = [
        row("t1", cal.TRUSTED, "go", "9.0", "8.0"),
        row("t2", cal.TRUSTED, "go", "6.5", "7.0"),
        row("v1", cal.VULNERABLE, "go", "4.0", "5.5"),
        row("v2", cal.VULNERABLE, "go", "1.0", None),
    ]
    checks = cal.ordering_checks(rows)
    pairs = by_title(checks, "trusted above vulnerable of the same language (Security)")
    assert (pairs.closest, pairs.margin) == ("t2 6.5 > v1 4.0 (go)", Decimal("2.5"))
    overall = by_title(checks, "trusted above vulnerable of the same language (global)")
    # pairs with v2 are wrong (global not measured): only right comparisons are candidates
    assert (overall.closest, overall.margin) == ("t2 7.0 > v1 5.5 (go)", Decimal("1.5"))
    assert by_title(checks, "trusted >= 6 (Security)").margin == Decimal("0.5")
    vulnerable = by_title(checks, "vulnerable <= 4")
    assert (vulnerable.closest, vulnerable.margin) == ("v1 4.0", Decimal("0.0"))
    text = cal.checks_text(checks)
    assert "PASS  vulnerable <= 4 (Security): 2/2  (closest: v1 4.0, margin 0.0)" in text
    assert by_title(checks, "Security measured").closest == ""
