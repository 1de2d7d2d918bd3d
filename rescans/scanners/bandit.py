"""Bandit: common security issues in Python code."""

from __future__ import annotations

import json
from pathlib import Path

from rescans.runner import tool_path
from rescans.scanners.base import NormalisedFinding, Scanner, ScannerOutput, relative_path

_SEVERITY = {"LOW": "low", "MEDIUM": "medium", "HIGH": "high", "UNDEFINED": "info"}


class BanditScanner(Scanner):
    name = "bandit"
    tool = "bandit"
    domain = "security"
    raw_format = "bandit"
    ok_returncodes = (0, 1)  # 1 = issues found

    def command(self, workspace: Path) -> list[str]:
        return [tool_path("bandit"), "-r", ".", "-f", "json", "-q"]

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        data = json.loads(stdout)
        findings = []
        for item in data["results"]:
            cwe = (item.get("issue_cwe") or {}).get("id")
            findings.append(
                NormalisedFinding(
                    rule_id=item["test_id"],
                    title=f"{item['test_id']} {item.get('test_name', '')}: {item['issue_text']}".strip(),
                    severity=_SEVERITY.get(str(item.get("issue_severity", "")).upper(), "info"),
                    confidence=str(item.get("issue_confidence", "")).lower(),
                    file_path=relative_path(item["filename"], workspace),
                    line=item.get("line_number"),
                    description=item["issue_text"],
                    cwe=f"CWE-{cwe}" if cwe else "",
                    help_url=item.get("more_info", ""),
                )
            )
        totals = data.get("metrics", {}).get("_totals", {})
        metrics = {"bandit_loc": totals.get("loc"), "bandit_errors": len(data.get("errors", []))}
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            findings=findings,
            metrics=metrics,
            raw=stdout,
            raw_format=self.raw_format,
        )
