"""Ruff: lint errors and code smells (code quality). Reads the repository's own ruff config."""

from __future__ import annotations

import json
from pathlib import Path

from rescans.runner import tool_path
from rescans.scanners.base import NormalisedFinding, Scanner, ScannerOutput, relative_path


class RuffScanner(Scanner):
    name = "ruff"
    tool = "ruff"
    domain = "code-quality"
    raw_format = "ruff"
    ok_returncodes = (0,)  # --exit-zero: 0 with or without findings, 2 = ruff itself failed

    def command(self, workspace: Path) -> list[str]:
        return [
            tool_path("ruff"),
            "check",
            "--output-format",
            "json",
            "--no-cache",
            "--exit-zero",
            "--force-exclude",
            ".",
        ]

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        items = json.loads(stdout or b"[]")
        if not isinstance(items, list):
            raise ValueError("expected a JSON list")
        findings = []
        for item in items:
            code = item.get("code") or "syntax-error"
            findings.append(
                NormalisedFinding(
                    rule_id=code,
                    title=f"{code}: {item['message']}",
                    # A file ruff cannot parse is worse than a style nit.
                    severity="medium" if code == "syntax-error" or code.startswith("E9") else "low",
                    file_path=relative_path(item["filename"], workspace),
                    line=(item.get("location") or {}).get("row"),
                    description=item["message"],
                    help_url=item.get("url") or "",
                )
            )
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            findings=findings,
            metrics={"ruff_warnings": len(findings)},
            raw=stdout,
            raw_format=self.raw_format,
        )
