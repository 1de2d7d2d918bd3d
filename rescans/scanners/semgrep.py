"""Semgrep with auditor's own rule pack (rescans/semgrep_rules): security in many languages.

Only the shipped rules are used (never the registry, never the repository's own configuration),
with metrics and the version check off, so nothing leaves the machine. Semgrep is given the
production files of the languages the pack has rules for, by name: a `.semgrepignore` in the
repository cannot hide code from it, and the files Semgrep reports as scanned are the code this
run covers. Findings silenced with `nosemgrep` comments are counted, not imported.

Semgrep runs through its OCaml command line (`--experimental`), which starts in a fraction of a
second where the Python one takes seconds before its engine starts: most of an incremental
re-scan's Semgrep time. It does not resolve YAML anchors, so it is given the pack's rules as JSON,
anchors resolved (`rules_json`); the few file names it leaves out (`_ocaml_skips`) go to the
Python one. Its findings are those of the Python command line on the pack's test cases
(rescans/tests/test_semgrep_engine.py) and on Django's source tree (445 of 2,930 files).
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml

from findings.importers import ScanFinding
from rescans.runner import tool_path
from rescans.scanners.base import RunLimits, ScannerError, ScannerOutput, relative_path
from rescans.scanners.coverage import InventoryScanner

RULES_DIR = Path(__file__).resolve().parent.parent / "semgrep_rules"
# Rule files of the pack and the languages (inventory names) each one reads.
RULE_FILES = {
    "python.yaml": ("Python",),
    "javascript.yaml": ("JavaScript", "TypeScript"),
    "go.yaml": ("Go",),
    "java.yaml": ("Java",),
    "rust.yaml": ("Rust",),
}
SEVERITY = {"ERROR": "high", "WARNING": "medium", "INFO": "low", "CRITICAL": "critical", "HIGH": "high"}
CWE_RE = re.compile(r"CWE-\d+")
# Semgrep is started once per batch of file names, so a huge repository never exceeds the
# operating system's limit on the length of a command line.
MAX_ARGS_CHARS = 100_000
OCAML_EXCLUDED_SUFFIXES = (".min.js", ".d.ts")
ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}


@functools.lru_cache(maxsize=1)
def rules_json() -> dict[str, str]:
    """The pack's rule files as JSON text ({file name: text}), YAML anchors resolved."""
    return {
        name.removesuffix(".yaml") + ".json": json.dumps(yaml.safe_load((RULES_DIR / name).read_text()))
        for name in sorted(RULE_FILES)
        if (RULES_DIR / name).is_file()
    }


def rule_languages() -> frozenset[str]:
    return frozenset(
        lang for name, langs in RULE_FILES.items() if (RULES_DIR / name).is_file() for lang in langs
    )


class SemgrepScanner(InventoryScanner):
    name = "semgrep"
    tool = "semgrep"
    domain = "security"
    domains = ("security",)
    languages = frozenset(lang for langs in RULE_FILES.values() for lang in langs)
    ok_returncodes = (0, 1)  # 1: findings with --error; semgrep reports parse errors in its JSON
    address_space_limit = False  # bounded by --max-memory instead
    niceness = 0  # the longest analyzer: the others yield to it

    def base_command(self, limits: RunLimits | None = None, rules: Path | None = None) -> list[str]:
        """The command before its targets: Semgrep's OCaml command line on the pack as JSON in
        `rules` (the folder `write_rules` wrote), or without it the Python one on the YAML pack."""
        command = [
            tool_path("semgrep"),
            "scan",
            *(["--experimental"] if rules is not None else []),
            "--metrics=off",
            "--disable-version-check",
            "--json",
            "--quiet",
            "--no-git-ignore",
            "--no-rewrite-rule-ids",
            # Suppression comments are told apart here, so they are counted rather than lost.
            "--disable-nosem",
            "--timeout",
            "20",
            "--timeout-threshold",
            "3",
            "--max-target-bytes",
            "1000000",
            # One job: the other analyzers of the re-scan run beside it, and each extra Semgrep
            # job costs more CPU than it saves (Django's tree: 28 s with 1 job, 79 s with the
            # default on 2 busy CPUs).
            "--jobs",
            "1",
        ]
        memory = getattr(limits, "memory_bytes", None)
        if memory:
            command += ["--max-memory", str(max(256, memory // (1024 * 1024)))]
        if rules is not None:
            configs = [rules / name for name in rules_json()]
        else:
            configs = [RULES_DIR / name for name in sorted(RULE_FILES) if (RULES_DIR / name).is_file()]
        for config in configs:
            command += ["--config", str(config)]
        return command

    def write_rules(self, home: str | Path | None = None) -> Path:
        """Write the pack as JSON (`rules_json`) to a fresh folder in the scan's HOME."""
        folder = Path(tempfile.mkdtemp(prefix="semgrep-rules-", dir=home))
        for name, text in rules_json().items():
            (folder / name).write_text(text)
        return folder

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        covered = rule_languages()
        targets = [f.path for f in self.targets() if f.language in covered]
        self.read_paths = []
        output = ScannerOutput(scanner=self.name, tool=self.tool, metrics={"semgrep_files": 0})
        if not targets:
            return output
        scanned: set[str] = set()
        errors = 0
        findings: list[ScanFinding] = []
        suppressed = 0
        duration = 0.0
        for command, batch in self.commands(targets, limits, home):
            result = self.execute([*command, "--", *batch], workspace, limits, home, ENV)
            duration += result.duration_s
            try:
                data = json.loads(result.stdout)
                batch_findings, batch_suppressed = self._findings(data, workspace)
                scanned.update(relative_path(p, workspace) for p in data.get("paths", {}).get("scanned", []))
                errors += len(data.get("errors", []))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ScannerError(
                    f"{self.name}: could not read its output ({exc})", stderr_tail=result.stderr_tail
                ) from exc
            findings += batch_findings
            suppressed += batch_suppressed
        self.read_paths = sorted(scanned)
        output = ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=self.report(findings),
            metrics={"semgrep_files": len(scanned), "semgrep_errors": errors},
        )
        output.suppressed = suppressed
        output.duration_s = duration
        return output

    def commands(self, targets: list[str], limits: RunLimits, home: str) -> list[tuple[list[str], list[str]]]:
        """(command, files) of each Semgrep process that reads these files: the OCaml command
        line for most, the Python one for the few it leaves out, in batches."""
        ocaml = self.base_command(limits, self.write_rules(home))
        python = self.base_command(limits)
        batches = [(ocaml, batch) for batch in _batches([p for p in targets if not _ocaml_skips(p)])]
        batches += [(python, batch) for batch in _batches([p for p in targets if _ocaml_skips(p)])]
        return [(command, batch) for command, batch in batches if batch]

    def _findings(self, data: dict[str, Any], workspace: Path) -> tuple[list[ScanFinding], int]:
        findings = []
        suppressed = 0
        lines_cache: dict[str, list[str]] = {}
        for item in data["results"]:
            extra = item.get("extra") or {}
            path = relative_path(item["path"], workspace)
            line = (item.get("start") or {}).get("line")
            if extra.get("is_ignored") or _silenced(workspace, path, line, lines_cache):
                suppressed += 1
                continue
            metadata = extra.get("metadata") or {}
            cwe = metadata.get("cwe") or ""
            if isinstance(cwe, list):
                cwe = cwe[0] if cwe else ""
            match = CWE_RE.search(str(cwe))
            references = metadata.get("references") or []
            rule_id = str(item["check_id"])
            message = " ".join(str(extra.get("message", "")).split())
            findings.append(
                self.finding(
                    workspace=workspace,
                    lines=lines_cache,
                    rule_id=rule_id,
                    title=f"{rule_id.rsplit('.', 1)[-1]}: {message}"[:300],
                    severity=SEVERITY.get(str(extra.get("severity", "")).upper(), "medium"),
                    confidence=str(metadata.get("confidence", "")).lower(),
                    file_path=path,
                    line=line,
                    description=message,
                    cwe=match.group(0) if match else "",
                    help_url=references[0] if isinstance(references, list) and references else "",
                )
            )
        return findings, suppressed


def _ocaml_skips(path: str) -> bool:
    """Names Semgrep's OCaml command line leaves out even when named (its language table
    excludes them from JavaScript and TypeScript); the Python one reads them."""
    return path.lower().endswith(OCAML_EXCLUDED_SUFFIXES)


NOSEM_RE = re.compile(r"\bnosem(grep)?\b", re.I)


def _silenced(workspace: Path, path: str, line: int | None, cache: dict[str, list[str]]) -> bool:
    """A `nosemgrep` comment on the finding's line or the line above it."""
    if not line:
        return False
    if path not in cache:
        target = workspace / path
        try:
            inside = target.resolve().is_relative_to(workspace.resolve()) and not target.is_symlink()
            cache[path] = target.read_text("utf-8", "replace").splitlines() if inside else []
        except OSError:
            cache[path] = []
    lines = cache[path]
    nearby = lines[max(0, line - 2) : line]
    return any(NOSEM_RE.search(text) for text in nearby)


def _batches(paths: list[str]) -> list[list[str]]:
    batches: list[list[str]] = [[]]
    size = 0
    for path in paths:
        if batches[-1] and size + len(path) + 1 > MAX_ARGS_CHARS:
            batches.append([])
            size = 0
        batches[-1].append(path)
        size += len(path) + 1
    return batches
