"""Every analyzer's findings keep their identity (fingerprint) and stored fields across changes of
the re-scan's code: a crafted repository is scanned by every analyzer and what the importer would
store is compared with `finding_identity.json`, written by a real run
(run this test with REWRITE_FINDING_IDENTITY=1 to rewrite it from a real run; review the diff
before committing)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from findings.fingerprints import assign_fingerprints
from rescans.inventory import build_inventory
from rescans.results import scanner_reports
from rescans.scanners import REGISTRY
from rescans.scanners.base import RunLimits
from rescans.tests.analyzer_repos import REPOSITORIES, write
from rescans.tests.scanrepo import FAKE_AWS_KEY, git

EXPECTED = Path(__file__).resolve().parent / "finding_identity.json"
OSV_DATA = Path(__file__).resolve().parent / "osv_data"
LIMITS = RunLimits(timeout_s=300, max_output_bytes=20_000_000)

EXTRA_FILES = {
    # secrets: production (high) and test (low); one the team allowed.
    "app/settings.py": f'AWS_ACCESS_KEY_ID = "{FAKE_AWS_KEY}"\nDEBUG = True\n',
    "tests/test_settings.py": f'KEY = "{FAKE_AWS_KEY}"\n',
    # bandit and ruff: findings, two the team silenced, one duplicated line (rank in the file).
    "app/tools.py": (
        "import os\nimport subprocess\nimport pickle\n\n\n"
        "def run(cmd):\n    return subprocess.call(cmd, shell=True)\n\n\n"
        "def again(cmd):\n    return subprocess.call(cmd, shell=True)\n\n\n"
        "def quiet(cmd):\n    return subprocess.call(cmd, shell=True)  # nosec B602\n\n\n"
        "def load(data):\n    return pickle.loads(data)\n"
    ),
    # lizard: a complex function.
    "app/logic.py": "def tangled(x):\n"
    + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(20))
    + "    return -1\n",
    # checks: a container running as root, an unpinned manifest, a committed .env with a secret.
    "Dockerfile": "FROM python:3.12\nCOPY . /app\nCMD python /app/main.py\n",
    ".env": "DATABASE_PASSWORD=hunter2hunter2hunter2\n",
    # artifacts: a JUnit report with a failure and a Cobertura report.
    "reports/junit.xml": (
        '<testsuite name="s" tests="2" failures="1">'
        '<testcase classname="t" name="ok"/>'
        '<testcase classname="t" name="bad"><failure message="boom">trace</failure></testcase>'
        "</testsuite>"
    ),
    "coverage.xml": '<coverage line-rate="0.5" branch-rate="0" lines-valid="10" lines-covered="5"/>',
}


def crafted_repository(root: Path) -> Path:
    """Each language's vulnerable repository under its own folder, plus the files above."""
    for language, (vulnerable, _clean) in sorted(REPOSITORIES.items()):
        write(root / language, vulnerable)
    # The Python one at the top too, so its manifest is the repository's own.
    write(root, REPOSITORIES["python"][0])
    write(root, EXTRA_FILES)
    git(root, "init", "-q", "-b", "main")  # detect-secrets reads the committed files
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "crafted")
    return root


def stored_rows(report_findings) -> list[dict]:
    """What the importer stores of each finding that decides identity and scores."""
    assign_fingerprints(report_findings)
    return [
        {
            "tool": f.tool,
            "rule_id": f.rule_id,
            "file_path": f.file_path,
            "line": f.line,
            "severity": int(f.severity),
            "domain": f.domain_slug,
            "title": f.title,
            "cwe": f.cwe,
            "confidence": f.confidence,
            "fingerprint": f.fingerprint,
        }
        for f in report_findings
    ]


def scan(tmp_path: Path) -> tuple[dict[str, list[dict]], dict[str, list[dict]]]:
    """Per analyzer, the rows of the findings it built (`direct`) and of the files the re-scan
    hands to the importer (`imported`), in the order they would be stored."""
    repo = crafted_repository(tmp_path / "repo")
    home = tmp_path / "home"
    home.mkdir()
    inventory = build_inventory(repo)
    direct: dict[str, list[dict]] = {}
    imported: dict[str, list[dict]] = {}
    for name, cls in REGISTRY.items():
        scanner = cls()
        if hasattr(scanner, "prepare"):
            scanner.prepare(inventory)
        output = scanner.run(repo, LIMITS, str(home))
        built = [*output.findings, *(f for _path, report in output.files for f in report.findings)]
        direct[name] = stored_rows([copy.copy(f) for f in built])
        rows: list[dict] = []
        for _file_name, report, _sha256 in scanner_reports(output, repo):
            rows += stored_rows([copy.copy(f) for f in report.findings])
        imported[name] = rows
    return direct, imported


@pytest.fixture
def osv_data(settings):
    settings.OSV_DATA_DIR = str(OSV_DATA)
    settings.SCAN_ARTIFACT_PATHS = ["coverage.xml", "reports/junit.xml"]


def test_every_analyzer_keeps_the_identity_of_its_findings(tmp_path, osv_data):
    direct, imported = scan(tmp_path)
    if os.environ.get("REWRITE_FINDING_IDENTITY"):
        EXPECTED.write_text(json.dumps(imported, indent=1, ensure_ascii=False) + "\n")
    expected = json.loads(EXPECTED.read_text())
    assert sorted(imported) == sorted(direct) == sorted(expected)
    for name in expected:
        assert imported[name] == expected[name], f"{name}: imported findings or their identity changed"
        assert direct[name] == expected[name], f"{name}: the analyzer's own findings differ from the import"
    found = imported
    # The crafted repository gives every analyzer that finds things something to find.
    assert all(found.values()), [name for name, rows in found.items() if not rows]
