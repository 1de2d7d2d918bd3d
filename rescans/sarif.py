"""Turn a scanner's normalised findings into SARIF 2.1.0, the findings importer's common format.

Used for scanners whose native output the importer does not read (ruff JSON, detect-secrets,
the built-in checks). Severities are explicit: `security-severity` (CVSS band) for security
tools, the SARIF `level` for the others. Stable identities go in `partialFingerprints`; other
results carry the offending source line as their snippet, so fingerprints survive line moves.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rescans.scanners.base import NormalisedFinding, ScannerOutput

SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0", "info": "0.0"}
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "none"}
REPO_ROOT_URI = "."


def _snippet(workspace: Path, finding: NormalisedFinding, cache: dict[str, list[str]]) -> str:
    if not finding.file_path or not finding.line:
        return ""
    if finding.file_path not in cache:
        path = workspace / finding.file_path
        try:
            if path.resolve().is_relative_to(workspace.resolve()) and path.stat().st_size < 2_000_000:
                cache[finding.file_path] = path.read_text("utf-8", "replace").splitlines()
            else:
                cache[finding.file_path] = []
        except OSError:
            cache[finding.file_path] = []
    lines = cache[finding.file_path]
    return lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""


def to_sarif(output: ScannerOutput, *, workspace: Path, default_domain: str) -> bytes:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    cache: dict[str, list[str]] = {}
    for finding in output.findings:
        security = (finding.domain or default_domain) == "security"
        rule = rules.setdefault(
            finding.rule_id,
            {
                "id": finding.rule_id,
                "shortDescription": {"text": finding.title[:200]},
                "properties": {"tags": ["security"] if security else []},
            },
        )
        if finding.help_url:
            rule["helpUri"] = finding.help_url
        if finding.cwe:
            rule["properties"]["tags"].append(finding.cwe)
        region: dict[str, Any] = {}
        if finding.line:
            region["startLine"] = finding.line
            # A stable identity needs no snippet, and a secret's line must never be stored.
            snippet = "" if finding.stable_id else _snippet(workspace, finding, cache)
            if snippet:
                region["snippet"] = {"text": snippet}
        physical: dict[str, Any] = {"artifactLocation": {"uri": finding.file_path or REPO_ROOT_URI}}
        if region:
            physical["region"] = region
        result: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "message": {"text": finding.title},
            "locations": [{"physicalLocation": physical}],
        }
        if security:
            result["properties"] = {"security-severity": SECURITY_SEVERITY[finding.severity]}
        else:
            result["level"] = LEVEL[finding.severity]
        if finding.confidence:
            # How sure the tool is: formula 2.0 weighs findings by it.
            result.setdefault("properties", {})["confidence"] = finding.confidence
        if finding.stable_id:
            result["partialFingerprints"] = {"auditorStableId/v1": finding.stable_id}
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": {"name": output.tool, "rules": list(rules.values())}}, "results": results}
        ],
    }
    return json.dumps(doc).encode()
