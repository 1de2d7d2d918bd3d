"""A re-scan report (`ParsedScan`) written as SARIF 2.1.0, the file the findings importer reads.

The analyzers build their findings in the importer's shape; `findings.services.scan_import`
takes a file, so each report is written here and read back by the importer's SARIF reader. The
writing is lossless for everything the reader keeps (rule, title, severity, path, line, snippet,
CWE, confidence, help link, the stable identity), so the findings and their fingerprints are
those the analyzer built; only the domain of findings outside Security and Code quality is not
carried by SARIF (`foreign_domains` lists them for the caller to set).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from findings.importers import ParsedScan, ScanFinding
from findings.models import Severity

# security-severity (a CVSS score) in the middle of each band the reader maps back.
SECURITY_SEVERITY = {
    int(Severity.CRITICAL): "9.5",
    int(Severity.HIGH): "8.0",
    int(Severity.MEDIUM): "5.5",
    int(Severity.LOW): "2.0",
    int(Severity.INFO): "0.0",
}
LEVEL = {
    int(Severity.CRITICAL): "error",
    int(Severity.HIGH): "error",
    int(Severity.MEDIUM): "warning",
    int(Severity.LOW): "note",
    int(Severity.INFO): "none",
}
SARIF_DOMAINS = frozenset({"security", "code-quality"})
REPO_ROOT_URI = "."


def _message(finding: ScanFinding) -> str:
    """The text the reader turns back into "<rule>: <text>"."""
    prefix = f"{finding.rule_id}: "
    return (
        finding.title[len(prefix) :]
        if finding.rule_id and finding.title.startswith(prefix)
        else finding.title
    )


def to_sarif(report: ParsedScan) -> bytes:
    rules: list[dict[str, Any]] = []
    rule_index: dict[tuple[str, bool, str], int] = {}
    results = []
    for finding in report.findings:
        security = finding.domain_slug == "security"
        key = (finding.rule_id, security, finding.recommendation)
        if key not in rule_index:
            rule: dict[str, Any] = {
                "id": finding.rule_id,
                "properties": {"tags": ["security"] if security else []},
            }
            if finding.recommendation:
                rule["helpUri"] = finding.recommendation
            rule_index[key] = len(rules)
            rules.append(rule)
        region: dict[str, Any] = {}
        if finding.line:
            region["startLine"] = finding.line
            if finding.snippet:
                region["snippet"] = {"text": finding.snippet}
        # A URI: the reader decodes %-escapes (and "file:" URIs), so the path is escaped whole.
        uri = quote(finding.file_path, safe="/") if finding.file_path else REPO_ROOT_URI
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
        if region:
            physical["region"] = region
        properties: dict[str, Any] = {}
        if security:
            properties["security-severity"] = SECURITY_SEVERITY[finding.severity]
        if finding.confidence:
            properties["confidence"] = finding.confidence
        if finding.cwe:
            properties["tags"] = [finding.cwe]
        result: dict[str, Any] = {
            "ruleId": finding.rule_id,
            "ruleIndex": rule_index[key],
            "message": {"text": _message(finding)},
            "locations": [{"physicalLocation": physical}],
        }
        if not security:
            result["level"] = LEVEL[finding.severity]
        if properties:
            result["properties"] = properties
        if finding.tool_fingerprint:
            name, _, value = finding.tool_fingerprint.partition("=")
            result["partialFingerprints"] = {name: value}
        if finding.suppressed:
            result["suppressions"] = [{"kind": "external", "status": "accepted"}]
        results.append(result)
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": report.tool, "rules": rules}}, "results": results}],
    }
    return json.dumps(doc).encode()


def foreign_domains(report: ParsedScan) -> dict[str, str]:
    """{rule id: domain slug} of the findings whose domain SARIF does not carry."""
    return {f.rule_id: f.domain_slug for f in report.findings if f.domain_slug not in SARIF_DOMAINS}
