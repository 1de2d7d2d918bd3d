"""SARIF 2.1.0: every run and every result of CodeQL, Semgrep, gitleaks, Trivy, ruff, ..."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from findings.importers.base import (
    MAX_INT,
    ParsedScan,
    ScanFinding,
    ScanFormatError,
    as_float,
    as_int,
    as_str,
    clean_text,
    expect,
)
from findings.models import Severity

LEVELS = {
    "error": int(Severity.HIGH),
    "warning": int(Severity.MEDIUM),
    "note": int(Severity.LOW),
    "none": int(Severity.INFO),
}
# Tools whose every result is a security matter; other tools are Code quality unless the rule
# carries a security-severity or a "security" tag.
SECURITY_TOOLS = {
    "codeql",
    "semgrep",
    "semgrep oss",
    "gitleaks",
    "trivy",
    "checkov",
    "flawfinder",
    "bandit",
    "detect-secrets",
    "grype",
    "snyk",
    "tfsec",
    "kics",
    "brakeman",
    "gosec",
    "njsscan",
    "horusec",
    "osv-scanner",
    "dependency-check",
}
CWE_RE = re.compile(r"cwe[-/_ ]?0*(\d+)", re.IGNORECASE)
# security-severity written as a word by some scanners (dockle, several container scanners).
SEVERITY_WORDS = {
    "critical": int(Severity.CRITICAL),
    "high": int(Severity.HIGH),
    "medium": int(Severity.MEDIUM),
    "moderate": int(Severity.MEDIUM),
    "low": int(Severity.LOW),
    "info": int(Severity.INFO),
    "informational": int(Severity.INFO),
    "negligible": int(Severity.INFO),
}


def looks_like(doc: Any) -> bool:
    return (
        isinstance(doc, dict)
        and "runs" in doc
        and ("sarif" in str(doc.get("$schema", "")).lower() or "version" in doc)
    )


def cvss_band(score: float) -> int:
    """CVSS v3 qualitative bands, as GitHub code scanning applies them to security-severity."""
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        value = obj.get("text") or obj.get("markdown") or ""
        return value if isinstance(value, str) else ""
    return ""


def _uri_path(uri: str) -> str:
    if "%" not in uri and not uri.startswith("file:"):
        return uri
    if uri.startswith("file:"):
        try:
            return clean_text(unquote(urlsplit(uri).path))
        except ValueError:
            raise ScanFormatError(f"invalid file URI {clean_text(uri[:80])!r}") from None
    return clean_text(unquote(uri))


def _line(value: Any, where: str) -> int | None:
    if value.__class__ is int and 0 <= value <= MAX_INT:
        return value
    return as_int(value, where)


class _Run:
    def __init__(self, run: dict, where: str):
        self.where = where
        tool = run.get("tool")
        expect(
            isinstance(tool, dict) and isinstance(tool.get("driver"), dict), "run has no tool.driver", where
        )
        driver = tool["driver"]
        self.name = as_str(driver.get("name"), f"{where}.tool.driver.name").strip()
        expect(bool(self.name), "run has no tool.driver.name", where)
        self.driver_rules = self._rules(driver, f"{where}.tool.driver")
        self.extension_rules = []
        extensions = tool.get("extensions") or []
        expect(isinstance(extensions, list), "tool.extensions is not a list", where)
        for i, extension in enumerate(extensions):
            expect(isinstance(extension, dict), "expected an object", f"{where}.tool.extensions[{i}]")
            self.extension_rules.append(self._rules(extension, f"{where}.tool.extensions[{i}]"))
        self.rules_by_id: dict[str, dict] = {}
        for rules in [*self.extension_rules, self.driver_rules]:
            for rule in rules:
                if isinstance(rule.get("id"), str):
                    self.rules_by_id.setdefault(rule["id"], rule)
        bases = run.get("originalUriBaseIds") or {}
        self.base_ids = bases if isinstance(bases, dict) else {}
        artifacts = run.get("artifacts") or []
        self.artifacts = artifacts if isinstance(artifacts, list) else []
        logical_locations = run.get("logicalLocations") or []
        self.logical_locations = logical_locations if isinstance(logical_locations, list) else []
        self._facts: dict[int, tuple[bool, str, str]] = {}
        self._empty_rule: dict = {}

    @staticmethod
    def _rules(component: dict, where: str) -> list[dict]:
        rules = component.get("rules") or []
        expect(isinstance(rules, list), "rules is not a list", where)
        for i, rule in enumerate(rules):
            expect(isinstance(rule, dict), "expected an object", f"{where}.rules[{i}]")
        return rules

    def rule_facts(self, rule: dict, where: str) -> tuple[bool, str, str]:
        """(is a security rule, CWE, help text), computed once per rule."""
        facts = self._facts.get(id(rule))
        if facts is None:
            properties = rule.get("properties")
            properties = properties if isinstance(properties, dict) else {}
            tags, kind = properties.get("tags"), properties.get("kind")
            # ruff files its flake8-bandit rules (S...) under that "kind".
            security = (isinstance(tags, list) and "security" in tags) or (
                isinstance(kind, str) and "bandit" in kind
            )
            help_text = _text(rule.get("help")) or as_str(rule.get("helpUri"), f"{where}.helpUri")
            facts = self._facts[id(rule)] = (security, _cwe(rule), help_text)
        return facts

    def rule_for(self, result: dict, where: str) -> tuple[str, dict]:
        rule_ref = result.get("rule") if isinstance(result.get("rule"), dict) else {}
        rule_id = result.get("ruleId") or rule_ref.get("id") or ""
        if rule_id.__class__ is not str:
            rule_id = as_str(rule_id, f"{where}.ruleId")
        rule = self._empty_rule  # rules are dicts of the document: alive, so ids are stable
        index = result.get("ruleIndex", rule_ref.get("index"))
        component = rule_ref.get("toolComponent") if isinstance(rule_ref.get("toolComponent"), dict) else None
        rules = self.driver_rules
        if component is not None and isinstance(component.get("index"), int):
            if 0 <= component["index"] < len(self.extension_rules):
                rules = self.extension_rules[component["index"]]
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(rules):
            rule = rules[index]
        elif rule_id:
            rule = self.rules_by_id.get(rule_id, self._empty_rule)
        if not rule_id:
            rule_id = as_str(rule.get("id"), f"{where}.rule.id")
        return rule_id, rule

    def location(self, result: dict, where: str) -> tuple[str, int | None, str] | None:
        """(path, line, snippet) of the first physical location with a file, else None."""
        for location in _locations(result):
            physical = location.get("physicalLocation")
            if isinstance(physical, dict):
                found = self._physical(physical, where)
                if found is not None:
                    return found
        return None

    def place(self, result: dict, where: str) -> str:
        """SARIF lets a result have no physical location (container and dependency scanners):
        a logical location names it, or the analysis target, or nothing, and the finding then
        belongs to the project as a whole (empty path)."""
        for location in _locations(result):
            name = self._logical_name(location.get("logicalLocations"))
            if name:
                return name
        target = result.get("analysisTarget")
        if isinstance(target, dict):
            return self._artifact_path(target, f"{where}.analysisTarget")
        return ""

    def _artifact_path(self, artifact: dict, where: str) -> str:
        uri = artifact.get("uri")
        if not uri and isinstance(artifact.get("index"), int):
            index = artifact["index"]
            if 0 <= index < len(self.artifacts) and isinstance(self.artifacts[index], dict):
                loc = self.artifacts[index].get("location") or {}
                uri = loc.get("uri") if isinstance(loc, dict) else None
        if uri.__class__ is not str:
            uri = as_str(uri, f"{where}.uri")
        if not uri:
            return ""
        path = _uri_path(uri)
        if artifact.get("uriBaseId") is None and uri.startswith("file:"):
            path = self._relative_to_bases(path)
        return path

    def _physical(self, physical: dict, where: str) -> tuple[str, int | None, str] | None:
        artifact = physical.get("artifactLocation")
        if not isinstance(artifact, dict):
            return None  # an address-only location: try the logical ones
        path = self._artifact_path(artifact, f"{where}.artifactLocation")
        if not path:
            return None
        region = physical.get("region") if isinstance(physical.get("region"), dict) else {}
        line = _line(region.get("startLine"), f"{where}.region.startLine")
        snippet = _text(region.get("snippet"))
        if not snippet:
            context = physical.get("contextRegion")
            if isinstance(context, dict) and line is not None:
                start = _line(context.get("startLine"), f"{where}.contextRegion.startLine") or line
                lines = _text(context.get("snippet")).splitlines()
                if 0 <= line - start < len(lines):
                    snippet = lines[line - start]
        return path, line, snippet

    def _logical_name(self, logicals: Any) -> str:
        if not isinstance(logicals, list):
            return ""
        for logical in logicals:
            if not isinstance(logical, dict):
                continue
            index = logical.get("index")
            if isinstance(index, int) and 0 <= index < len(self.logical_locations):
                referenced = self.logical_locations[index]
                logical = {**referenced, **logical} if isinstance(referenced, dict) else logical
            for key in ("fullyQualifiedName", "name", "decoratedName"):
                value = logical.get(key)
                if isinstance(value, str) and value.strip():
                    return clean_text(value.strip())
        return ""

    def _relative_to_bases(self, path: str) -> str:
        for base in self.base_ids.values():
            base_uri = base.get("uri") if isinstance(base, dict) else None
            if isinstance(base_uri, str) and base_uri:
                base_path = _uri_path(base_uri).rstrip("/") + "/"
                if path.startswith(base_path):
                    return path[len(base_path) :]
        return path


def _locations(result: dict) -> list[dict]:
    locations = result.get("locations")
    return [loc for loc in locations if isinstance(loc, dict)] if isinstance(locations, list) else []


def _fingerprint(result: dict) -> str:
    for key in ("fingerprints", "partialFingerprints"):
        prints = result.get(key)
        if isinstance(prints, dict) and prints:
            return ";".join(f"{k}={v}" for k, v in sorted(prints.items()) if isinstance(v, str))
    return ""


def _is_accepted(result: dict) -> bool:
    suppressions = result.get("suppressions")
    if not isinstance(suppressions, list):
        return False
    # A suppression without a status counts as accepted (SARIF 2.1.0 §3.35.3).
    return any(isinstance(s, dict) and s.get("status", "accepted") == "accepted" for s in suppressions)


def _cwe(holder: dict) -> str:
    """The first CWE named in the "tags" of a result's or a rule's properties."""
    properties = holder.get("properties")
    if isinstance(properties, dict) and isinstance(properties.get("tags"), list):
        for tag in properties["tags"]:
            if isinstance(tag, str) and (match := CWE_RE.search(tag)):
                return f"CWE-{int(match.group(1))}"
    return ""


def _security_severity(value: Any, where: str) -> int | None:
    """A CVSS score (number or numeric text) or a severity word; None when it is neither."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word in SEVERITY_WORDS:
            return SEVERITY_WORDS[word]
        try:
            float(word)
        except ValueError:
            return None  # "unknown", "n/a"...: the result's level decides
    score = as_float(value, where)
    if score is None or not 0.0 <= score <= 10.0:
        return None  # not a CVSS score
    return cvss_band(score)


def _severity(result: dict, rule: dict, where: str) -> tuple[int, bool]:
    """(severity, has_security_severity)."""
    for holder, label in (
        (result.get("properties"), "properties"),
        (rule.get("properties"), "rule.properties"),
    ):
        if isinstance(holder, dict) and holder.get("security-severity") not in (None, ""):
            severity = _security_severity(holder["security-severity"], f"{where}.{label}.security-severity")
            if severity is not None:
                return severity, True
    level = result.get("level")
    if level is None:
        config = rule.get("defaultConfiguration")
        level = config.get("level") if isinstance(config, dict) else None
    severity = LEVELS.get(
        level if level.__class__ is str else as_str(level, f"{where}.level", default="warning")
    )
    if severity is None:
        raise ScanFormatError(
            f"unknown level {clean_text(str(level))[:40]!r} (expected error, warning, note or none)",
            where=where,
        )
    return severity, False


def _confidence(result: dict, rule: dict) -> str:
    """How sure the tool is: the result's "confidence" property, else the rule's SARIF
    "precision" (very-high, high, medium, low); "" when neither is a short word."""
    for holder, key in ((result.get("properties"), "confidence"), (rule.get("properties"), "precision")):
        if isinstance(holder, dict) and isinstance(holder.get(key), str) and holder[key].strip():
            return clean_text(holder[key].strip().lower())[:20]
    return ""


def check_log(doc: Any) -> list:
    """The log's runs, after checking what surrounds them."""
    expect(isinstance(doc, dict), "not a SARIF log (top level is not an object)")
    version = doc.get("version")
    expect(version == "2.1.0", f'unsupported SARIF version {version!r} (expected "2.1.0")', "version")
    runs = doc.get("runs")
    expect(isinstance(runs, list), '"runs" is not a list', "runs")
    expect(len(runs) > 0, "the SARIF log has no runs (nothing to import)", "runs")
    return runs


def open_run(raw_run: Any, run_index: int) -> tuple[_Run, str]:
    """A run's rules and locations (everything but its results), and its tool name."""
    where_run = f"runs[{run_index}]"
    expect(isinstance(raw_run, dict), "expected an object", where_run)
    run = _Run(raw_run, where_run)
    return run, clean_text(run.name.lower())[:100]


def parse(doc: Any) -> ParsedScan:
    runs = check_log(doc)
    report = ParsedScan(format="sarif", tool="")
    tool_names = []
    append = report.findings.append
    for run_index, raw_run in enumerate(runs):
        run, tool = open_run(raw_run, run_index)
        if tool not in tool_names:
            tool_names.append(tool)
        results = raw_run.get("results")
        if results is None:
            continue  # the tool did not run the analysis; a run with [] means "nothing found"
        report.tools.add(tool)
        expect(isinstance(results, list), "results is not a list", f"runs[{run_index}].results")
        for index, result in enumerate(results):
            finding = parse_result(run, tool, result, f"runs[{run_index}].results[{index}]")
            if finding is not None:
                append(finding)
    report.tool = ", ".join(tool_names)[:100]
    return report


def parse_result(run: _Run, tool: str, result: Any, where: str) -> ScanFinding | None:
    """One result of a run; None for the results that are not findings (kind pass, n/a)."""
    expect(isinstance(result, dict), "expected an object", where)
    if result.get("kind", "fail") in ("pass", "notApplicable"):
        return None
    rule_id, rule = run.rule_for(result, where)
    message = _text(result.get("message")) or _text(rule.get("shortDescription")) or rule_id
    where_rule = f"{where} (rule {rule_id})" if rule_id else where
    found = run.location(result, where_rule)
    if found is None:
        # No place in the code: the message tells results of one rule apart.
        path, line, snippet = run.place(result, where_rule), None, message.strip()[:1000]
    else:
        path, line, snippet = found
    severity, has_security_severity = _severity(result, rule, where)
    rule_security, rule_cwe, help_text = run.rule_facts(rule, where)
    is_security = has_security_severity or rule_security or tool in SECURITY_TOOLS
    first_line = message.strip().splitlines()[0] if message.strip() else rule_id
    return ScanFinding(
        tool=tool,
        rule_id=rule_id[:200],
        title=(f"{rule_id}: {first_line}" if rule_id else first_line)[:500],
        severity=severity,
        domain_slug="security" if is_security else "code-quality",
        file_path=path,
        line=line,
        snippet=snippet,
        description=message,
        cwe=_cwe(result) or rule_cwe,
        confidence=_confidence(result, rule),
        recommendation=help_text,
        tool_fingerprint=_fingerprint(result),
        suppressed=_is_accepted(result),
    )
