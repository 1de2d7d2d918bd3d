"""Ruff: lint errors and code smells (code quality).

`--isolated`: no configuration file of the repository is read (a `ruff.toml` or `pyproject.toml`
could `extend` any file of the machine); the rules are ruff's defaults of the pinned version.
`--ignore-noqa`: what the team silenced with `# noqa` (or a file-level `# ruff: noqa`) is
reported, then counted as suppressed by the team and left out of the findings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from findings.importers import ScanFinding
from rescans.inventory import Inventory
from rescans.runner import tool_path
from rescans.scanners.base import Scanner, ScannerOutput, relative_path, source_line
from rescans.scanners.coverage import production_targets

NOQA_RE = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)
FILE_NOQA_RE = re.compile(
    r"^\s*#\s*(?:ruff|flake8)\s*:\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I
)


class RuffScanner(Scanner):
    name = "ruff"
    tool = "ruff"
    domain = "code-quality"
    ok_returncodes = (0,)  # --exit-zero: 0 with or without findings, 2 = ruff itself failed

    # Production Python files, from the re-scan's inventory; None: the whole checkout.
    targets: list[str] | None = None

    def prepare(self, inventory: Inventory) -> None:
        """Code quality of the shipped code: tests, fixtures and docs are left out."""
        self.targets = production_targets(inventory, frozenset({"Python"}))

    def command(self, workspace: Path) -> list[str]:
        return [
            tool_path("ruff"),
            "check",
            "--isolated",
            "--ignore-noqa",
            "--output-format",
            "json",
            "--no-cache",
            "--exit-zero",
            "--force-exclude",
            "--",
            *(self.targets or ["."]),
        ]

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        items = json.loads(stdout or b"[]")
        if not isinstance(items, list):
            raise ValueError("expected a JSON list")
        findings = []
        suppressed = 0
        cache: dict[str, list[str]] = {}
        file_noqa: dict[str, list[re.Match[str]]] = {}
        paths: dict[str, str] = {}  # ruff names a file once per finding: resolved once
        for item in items:
            code = item.get("code") or "syntax-error"
            filename = item["filename"]
            path = paths.get(filename)
            if path is None:
                path = paths[filename] = relative_path(filename, workspace)
            line = (item.get("location") or {}).get("row")
            if _noqa(code, path, item.get("noqa_row") or line, workspace, cache, file_noqa):
                suppressed += 1
                continue
            findings.append(
                self.finding(
                    workspace=workspace,
                    lines=cache,
                    rule_id=code,
                    title=f"{code}: {item['message']}",
                    # A file ruff cannot parse is worse than a style nit.
                    severity="medium" if code == "syntax-error" or code.startswith("E9") else "low",
                    file_path=path,
                    line=line,
                    description=item["message"],
                    help_url=item.get("url") or "",
                )
            )
        return self.output(findings, suppressed)

    def output(self, findings: list[ScanFinding], suppressed: int) -> ScannerOutput:
        """The analyzer's output of these findings (and this many silenced by the team)."""
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=self.report(findings),
            metrics={"ruff_warnings": len(findings), "suppressed_by_team": suppressed},
            suppressed=suppressed,
        )


def _covers(match: re.Match[str] | None, code: str) -> bool:
    if match is None:
        return False
    codes = match["codes"]
    return not codes or code.upper() in {c.upper() for c in re.split(r"[,\s]+", codes) if c}


def _noqa(
    code: str,
    path: str,
    row: int | None,
    workspace: Path,
    cache: dict[str, list[str]],
    file_noqa: dict[str, list[re.Match[str]]] | None = None,
) -> bool:
    """Whether a `# noqa` on the line, or a file-level `# ruff: noqa`, silences `code`.
    `file_noqa` keeps each file's file-level comments, found once (not once per finding)."""
    if code == "syntax-error":
        return False  # a file that does not parse cannot be silenced
    if _covers(NOQA_RE.search(source_line(workspace, path, row, cache)), code):
        return True
    found = None if file_noqa is None else file_noqa.get(path)
    if found is None:
        found = [m for text in cache.get(path, []) if (m := FILE_NOQA_RE.match(text))]
        if file_noqa is not None:
            file_noqa[path] = found
    return any(_covers(match, code) for match in found)
