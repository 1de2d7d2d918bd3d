"""Bandit: common security issues in Python code.

Runs with auditor's configuration only: `--ini` points at auditor's file, so a `.bandit` file of
the repository is never read (nor a `-c` file it could name). `--ignore-nosec` makes bandit
report what the team silenced with `# nosec`; those results are counted as suppressed by the
team and left out of the imported report.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from findings.importers import parse_scan
from rescans.inventory import Inventory
from rescans.sanitize import clean_data
from rescans.scanners.base import Scanner, ScannerOutput, relative_path, source_line
from rescans.scanners.coverage import production_targets
from scoring.density import INPUT_CONTROL_CWES

# bandit's own comment syntax: "# nosec", "# nosec B602", "# nosec: B602, subprocess_popen".
NOSEC_RE = re.compile(r"#\s*nosec\b:?(?P<tests>[^#]*)")
# Bandit matches the shape of a call (os.system with a variable, shell=True, a jinja2
# Environment whose autoescape keyword it cannot see): it does not follow data, so it never shows
# that outside input reaches the call. Its findings of input-control weaknesses are stated at
# medium confidence: only a rule that traces input (Semgrep's taint rules) confirms one.
# B324 (MD5, SHA-1 in hashlib) cannot tell a cache key or an ETag from a password: the call
# alone is a medium weakness. Hashing a password with them is auditor.python.weak-password-hash
# (Semgrep, high), which sees what is hashed.
WEAK_HASH_TESTS = frozenset({"B324"})
# Bandit's command line with a walk of the syntax tree that skips the nodes it has no test for.
RUNNER = Path(__file__).resolve().with_name("bandit_runner.py")


class BanditScanner(Scanner):
    name = "bandit"
    tool = "bandit"
    domain = "security"
    ok_returncodes = (0, 1)  # 1 = issues found
    # An empty [bandit] section: bandit's defaults (every test), and no search for other files.
    config_files = {"bandit.ini": "[bandit]\n"}

    # Production Python files, from the re-scan's inventory; None: the whole checkout.
    targets: list[str] | None = None

    def prepare(self, inventory: Inventory) -> None:
        """Security is about the shipped code: tests, fixtures and docs are left out (Django's
        whole repository: 96 s, its production code: 17 s)."""
        self.targets = production_targets(inventory, frozenset({"Python"}))

    def command(self, workspace: Path) -> list[str]:
        config_dir = self.config_dir or self.write_config()
        # -I: no environment variables, no user site-packages, not the runner's own folder.
        return [
            sys.executable,
            "-I",
            str(RUNNER),
            "--ini",
            str(config_dir / "bandit.ini"),
            "--ignore-nosec",
            "-f",
            "json",
            "-q",
            "-r",
            "--",
            *(self.targets or ["."]),
        ]

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        data = json.loads(stdout)
        kept = []
        suppressed = 0
        cache: dict[str, list[str]] = {}
        for item in data["results"]:
            path = relative_path(item["filename"], workspace)
            if _nosec(item, path, workspace, cache):
                suppressed += 1
                continue
            kept.append(item)
            item["filename"] = path  # as the repository names it
            cwe = (item.get("issue_cwe") or {}).get("id")
            if item.get("test_id") in WEAK_HASH_TESTS and str(item.get("issue_severity")).upper() == "HIGH":
                item["issue_severity"] = "MEDIUM"
            confidence = str(item.get("issue_confidence", "")).lower()
            if cwe and f"CWE-{cwe}" in INPUT_CONTROL_CWES and confidence == "high":
                item["issue_confidence"] = "MEDIUM"
        data["results"] = kept
        # Bandit's own report, cleaned, read by the findings importer's bandit reader: the
        # findings are what an upload of this report would give.
        source = json.dumps(clean_data(data, limit=0)).encode()
        totals = data.get("metrics", {}).get("_totals", {})
        metrics = {
            "bandit_loc": totals.get("loc"),
            "bandit_errors": len(data.get("errors", [])),
            "suppressed_by_team": suppressed,
        }
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=parse_scan(source, file_name="bandit.json", format="bandit"),
            metrics=metrics,
            source=source,
            suppressed=suppressed,
        )


def _nosec(item: dict[str, Any], path: str, workspace: Path, cache: dict[str, list[str]]) -> bool:
    """Whether a `# nosec` comment on the result's lines covers its test (bandit's own rule)."""
    lines = item.get("line_range") or [item.get("line_number")]
    wanted = {str(item.get("test_id", "")).lower(), str(item.get("test_name", "")).lower()}
    for number in lines:
        if not isinstance(number, int):
            continue
        match = NOSEC_RE.search(source_line(workspace, path, number, cache))
        if match:
            tests = {t.lower() for t in re.split(r"[\s,]+", match["tests"]) if t}
            if not tests or tests & wanted:
                return True
    return False
