"""The per-file analyzers of incremental re-scans parse their output file by file: their output
equals the plain analyzer's on the same checkout, and an unchanged file is not parsed again by
the worker that parsed it (a worker without that memo reads the kept output and gets the same
findings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from findings.importers import ScanFinding, parse_scan
from rescans import incremental_scanners
from rescans.execution import run_limits
from rescans.incremental_scanners import IncrementalBandit, IncrementalLizard, IncrementalRuff
from rescans.inventory import build_inventory
from rescans.scanners import BanditScanner, LizardScanner, RuffScanner, Scanner, ScannerOutput
from rescans.tests.test_incremental import (
    UTIL,
    branches,
    findings_of,
    measured,
    project_on,
    rescan,
    step,
)
from rescans.tests.test_incremental import repo as repo  # noqa: F401 - the fixture

# Results the team silenced (nosec, noqa), a file that does not parse, complex functions, and
# several files with results, so that the parts of several files are put together.
FILES = {
    "app/__init__.py": "",
    "app/util.py": UTIL,
    "app/quiet.py": "import os  # noqa: F401\nimport subprocess\n\n\n"
    "def go(cmd):\n    return subprocess.call(cmd, shell=True)  # nosec B602\n",
    "app/rules.py": branches("classify", 18) + "\n\n" + branches("other", 32),
    "app/broken.py": "def broken(:\n    pass\n",
    "app/many.py": "import pickle\nimport random\n\n\n"
    "def load(data, a, b, c, d, e, f, g):\n    return pickle.loads(data) + random.random()\n",
    "lib/empty.py": "",
}


def by_file(findings: list[ScanFinding]) -> list[ScanFinding]:
    """Files in name order, each file's findings in their order (the order that counts: the
    rank of identical findings in a file is part of their identity)."""
    return sorted(findings, key=lambda f: f.file_path)


def run_alone(scanner: Scanner, checkout: Path, home: Path) -> ScannerOutput:
    inventory = build_inventory(checkout)
    scanner.prepare(inventory)  # type: ignore[attr-defined]
    return scanner.run(checkout, run_limits(), str(home))


@pytest.mark.parametrize(
    ("plain", "incremental"),
    [(RuffScanner, IncrementalRuff), (BanditScanner, IncrementalBandit), (LizardScanner, IncrementalLizard)],
)
def test_an_analyzer_parsed_file_by_file_gives_the_plain_analyzers_output(tmp_path, plain, incremental):
    checkout = tmp_path / "checkout"
    for name, text in FILES.items():
        (checkout / name).parent.mkdir(parents=True, exist_ok=True)
        (checkout / name).write_text(text)
    (tmp_path / "home").mkdir()
    incremental_scanners.clear_memos()

    expected = run_alone(plain(), checkout, tmp_path / "home")
    scanner = incremental()
    first = run_alone(scanner, checkout, tmp_path / "home")
    again = incremental()
    second = run_alone(again, checkout, tmp_path / "home")  # every file's part from the memo

    assert expected.findings, "the checkout has results for every analyzer"
    for output in (first, second):
        assert by_file(output.findings) == by_file(expected.findings)
        assert output.metrics == expected.metrics
        assert output.suppressed == expected.suppressed
        if expected.source:  # bandit: the report the importer reads is the analyzer's own
            got = parse_scan(output.source, file_name="bandit.json", format="bandit")
            wanted = parse_scan(expected.source, file_name="bandit.json", format="bandit")
            assert by_file(got.findings) == by_file(wanted.findings) and got.metrics == wanted.metrics
    if plain is LizardScanner:
        assert scanner.read_paths == again.read_paths
    assert scanner.entries == again.entries and set(scanner.entries or {}) <= set(scanner.all_targets or [])
    assert all(isinstance(text, str) for text in (scanner.entries or {}).values())
    # The memo's findings are copies: the importer changing them does not change the next run.
    for finding in second.findings:
        finding.file_path, finding.fingerprint = "changed", "changed"
    rebuilt = incremental().rebuild(scanner.entries or {}, scanner.all_targets or [], checkout)
    assert by_file(rebuilt.findings) == by_file(expected.findings)


@pytest.fixture
def parsed_files(monkeypatch):
    """The files each analyzer parses (its `parse_file` calls), by analyzer name."""
    calls: dict[str, list[str]] = {}
    for cls in (IncrementalRuff, IncrementalBandit, IncrementalLizard):
        original = cls.parse_file

        def spy(self, path, value, workspace, original=original):
            calls.setdefault(self.name, []).append(path)
            return original(self, path, value, workspace)

        monkeypatch.setattr(cls, "parse_file", spy)
    return calls


def test_an_incremental_run_parses_only_the_changed_file_and_a_worker_without_the_memo_agrees(
    repo, tech_lead, parsed_files
):
    incremental_scanners.clear_memos()
    kept = project_on(repo, tech_lead, "kept")
    fresh = project_on(repo, tech_lead, "fresh")
    full = project_on(repo, tech_lead, "full")
    rescan(kept)
    rescan(fresh)
    assert parsed_files["bandit"], "the full run parsed every file"

    step(repo, write={"app/util.py": UTIL + "\n\ndef again(cmd):\n    return eval(cmd)\n"})
    parsed_files.clear()
    inc_audit, inc_run = rescan(kept)
    assert inc_run.incremental and inc_run.files_analysed == 1
    assert parsed_files == {"ruff": ["app/util.py"], "bandit": ["app/util.py"], "lizard": ["app/util.py"]}

    incremental_scanners.clear_memos()  # another worker, or this one restarted
    parsed_files.clear()
    fresh_audit, fresh_run = rescan(fresh)
    assert fresh_run.incremental and len(parsed_files["bandit"]) > 1
    full_audit, full_run = rescan(full, force=True)
    assert findings_of(kept) == findings_of(fresh) == findings_of(full)
    assert measured(inc_audit, inc_run) == measured(fresh_audit, fresh_run) == measured(full_audit, full_run)
