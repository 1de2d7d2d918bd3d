"""detect-secrets: credentials committed to the repository. Only hashes of secrets are kept.

No baseline or settings of the repository are read (none is passed). Lines the team marked
`pragma: allowlist secret` (or the line after `pragma: allowlist nextline secret`) are
reported by turning off that filter, then counted as suppressed by the team, not imported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from rescans.runner import tool_path
from rescans.scanners.base import Scanner, ScannerOutput, relative_path, source_line

ALLOWLIST_FILTER = "detect_secrets.filters.allowlist.is_line_allowlisted"
ALLOW_RE = re.compile(r"pragma: ?allowlist[ -]secret")
ALLOW_NEXT_RE = re.compile(r"pragma: ?allowlist[ -]nextline[ -]secret")


class DetectSecretsScanner(Scanner):
    name = "detect-secrets"
    tool = "detect-secrets"
    domain = "security"

    def command(self, workspace: Path) -> list[str]:
        # Inside a git checkout it scans the tracked files, which is what was committed.
        # --no-verify: a found secret is never sent anywhere to check whether it works.
        return [tool_path("detect-secrets"), "scan", "--no-verify", "--disable-filter", ALLOWLIST_FILTER, "."]

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        data = json.loads(stdout)
        findings = []
        suppressed = 0
        cache: dict[str, list[str]] = {}
        for path, secrets in sorted(data["results"].items()):
            rel = relative_path(path, workspace)
            for secret in secrets:
                line = secret.get("line_number")
                if _allowlisted(workspace, rel, line, cache):
                    suppressed += 1
                    continue
                findings.append(
                    self.finding(
                        workspace=workspace,
                        lines=cache,
                        # The hash identifies the secret across commits without revealing it.
                        rule_id=secret["type"],
                        title=f"Committed secret: {secret['type']}",
                        severity="high",
                        file_path=rel,
                        line=line,
                        description=(
                            f"{secret['type']} in {rel} (hash {secret['hashed_secret'][:12]}…). "
                            "Revoke it and remove it from history."
                        ),
                        cwe="CWE-798",
                        confidence="verified" if secret.get("is_verified") else "",
                        stable_id=f"{secret['type']}:{secret['hashed_secret']}",
                    )
                )
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=self.report(findings),
            metrics={"secrets_found": len(findings), "suppressed_by_team": suppressed},
            suppressed=suppressed,
        )


def _allowlisted(workspace: Path, path: str, line: int | None, cache: dict[str, list[str]]) -> bool:
    if not isinstance(line, int):
        return False
    if ALLOW_RE.search(source_line(workspace, path, line, cache)):
        return True
    return bool(line > 1 and ALLOW_NEXT_RE.search(source_line(workspace, path, line - 1, cache)))
