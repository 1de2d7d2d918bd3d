"""auditor's Semgrep rule pack: its own test cases (Semgrep's test format), and the scanner on
small vulnerable and clean repositories of each language the pack covers."""

from __future__ import annotations

import json
import subprocess

import pytest

from findings.models import Severity
from rescans.inventory import build_inventory
from rescans.runner import safe_env, tool_path
from rescans.scanners.base import RunLimits
from rescans.scanners.coverage import analyzer_run
from rescans.scanners.semgrep import ENV, RULE_FILES, RULES_DIR, SemgrepScanner, rule_languages
from rescans.tests.analyzer_repos import REPOSITORIES, write
from scoring.evidence import NOT_APPLICABLE, RAN

LIMITS = RunLimits(timeout_s=300, max_output_bytes=20_000_000)
# Repository fixture -> the inventory language it is written in.
FIXTURE_LANGUAGE = {
    "python": "Python",
    "javascript": "JavaScript",
    "typescript": "TypeScript",
    "go": "Go",
    "java": "Java",
    "rust": "Rust",
}


def test_every_rule_passes_its_own_positive_and_negative_cases(tmp_path):
    """`semgrep --test`: each `ruleid:` line must match and each `ok:` line must not."""
    result = subprocess.run(
        [tool_path("semgrep"), "scan", "--test", "--metrics=off", "--disable-version-check", "--json", "."],
        cwd=RULES_DIR,
        env={**safe_env(str(tmp_path)), **ENV},
        capture_output=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stdout)
    checks = {
        rule: outcome for config in report["results"].values() for rule, outcome in config["checks"].items()
    }
    failed = {rule: outcome["matches"] for rule, outcome in checks.items() if not outcome["passed"]}
    assert failed == {}
    assert report["config_with_errors"] == []
    assert report["config_missing_tests"] == []
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    rule_count = sum(
        1
        for name in RULE_FILES
        if (RULES_DIR / name).is_file()
        for line in (RULES_DIR / name).read_text().splitlines()
        if line.strip().startswith("- id:")
    )
    assert len(checks) == rule_count


def test_each_rule_file_has_a_test_target_and_every_rule_is_tested():
    for name in RULE_FILES:
        rules = RULES_DIR / name
        if not rules.is_file():
            continue
        targets = [p for p in RULES_DIR.glob(rules.stem + ".*") if p.suffix not in (".yaml", ".yml")]
        assert targets, f"{name} has no test target"
        positive = {
            rule.strip()
            for p in targets
            for line in p.read_text().splitlines()
            if "ruleid:" in line
            for rule in line.split("ruleid:", 1)[1].split(",")
        }
        for line in rules.read_text().splitlines():
            if line.strip().startswith("- id:"):
                rule_id = line.split(":", 1)[1].strip()
                assert rule_id in positive, f"{rule_id} has no positive test case"


@pytest.mark.parametrize("fixture", sorted(FIXTURE_LANGUAGE))
def test_semgrep_flags_the_vulnerable_version_and_not_the_clean_one(tmp_path, fixture):
    language = FIXTURE_LANGUAGE[fixture]
    assert language in rule_languages(), f"the rule pack has no {language} rules"
    vulnerable, clean = REPOSITORIES[fixture]
    home = tmp_path / "home"
    home.mkdir()

    scanner = SemgrepScanner()
    repo = write(tmp_path / "bad", vulnerable)
    inventory = build_inventory(repo)
    scanner.prepare(inventory)
    output = scanner.run(repo, LIMITS, str(home))
    assert output.findings, f"no finding on the vulnerable {fixture} repository"
    assert {f.severity for f in output.findings} <= {
        Severity.CRITICAL,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.LOW,
    }
    record = analyzer_run(scanner, {"status": "ok"}, output, inventory)
    assert record.status == RAN and language in record.languages
    assert record.covered_lines == inventory.profile.production_lines_in((language,))

    scanner = SemgrepScanner()
    repo = write(tmp_path / "good", clean)
    scanner.prepare(build_inventory(repo))
    output = scanner.run(repo, LIMITS, str(home))
    assert [(f.rule_id, f.file_path, f.line) for f in output.findings] == []


def test_the_repository_cannot_hide_code_from_semgrep_and_silenced_findings_are_counted(tmp_path):
    files = {
        "app/a.py": "import pickle\n\n\ndef load(data):\n    return pickle.loads(data)\n",
        "app/b.py": "import pickle\n\n\ndef load(data):\n    return pickle.loads(data)  # nosemgrep\n",
        ".semgrepignore": "app/\n",
    }
    home = tmp_path / "home"
    home.mkdir()
    repo = write(tmp_path / "repo", files)
    scanner = SemgrepScanner()
    scanner.prepare(build_inventory(repo))
    output = scanner.run(repo, LIMITS, str(home))

    assert [f.file_path for f in output.findings] == ["app/a.py"]
    assert output.suppressed == 1
    assert sorted(scanner.read_paths) == ["app/a.py", "app/b.py"]


def test_semgrep_does_not_apply_to_languages_without_rules(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    repo = write(tmp_path / "repo", {"src/App.kt": "fun main() {}\n"})
    scanner = SemgrepScanner()
    inventory = build_inventory(repo)
    scanner.prepare(inventory)
    output = scanner.run(repo, LIMITS, str(home))
    assert output.findings == []
    assert analyzer_run(scanner, {"status": "ok"}, output, inventory).status == NOT_APPLICABLE
