"""detect-secrets: credentials committed to the repository. Only hashes of secrets are kept."""

from __future__ import annotations

import json
from pathlib import Path

from rescans.runner import tool_path
from rescans.scanners.base import NormalisedFinding, Scanner, ScannerOutput, relative_path


class DetectSecretsScanner(Scanner):
    name = "detect-secrets"
    tool = "detect-secrets"
    domain = "security"
    raw_format = "detect-secrets"

    def command(self, workspace: Path) -> list[str]:
        # Inside a git checkout it scans the tracked files, which is what was committed.
        # --no-verify: a found secret is never sent anywhere to check whether it works.
        return [tool_path("detect-secrets"), "scan", "--no-verify", "."]

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        data = json.loads(stdout)
        findings = []
        for path, secrets in sorted(data["results"].items()):
            for secret in secrets:
                findings.append(
                    NormalisedFinding(
                        # The hash identifies the secret across commits without revealing it.
                        rule_id=secret["type"],
                        title=f"Committed secret: {secret['type']}",
                        severity="high",
                        file_path=relative_path(path, workspace),
                        line=secret.get("line_number"),
                        description=(
                            f"{secret['type']} in {path} (hash {secret['hashed_secret'][:12]}…). "
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
            findings=findings,
            metrics={"secrets_found": len(findings)},
            raw=stdout,
            raw_format=self.raw_format,
        )
