"""The per-file analyzers of an incremental re-scan: Semgrep, Bandit, Ruff, lizard, secrets.

Each reads files one by one (a result depends only on the file it is in and on auditor's
configuration), so its results for a file that did not change are those of the previous run.
Each class here is the analyzer itself (a subclass) that also keeps its raw output file by file
(`entries`: path -> what the tool printed for it, as JSON data). In a full run it runs as
usual and only keeps that output for the next run. In an incremental run (`carry` set) it runs
on the changed files only, then re-parses the previous run's output of the unchanged files
together with the new output, with the analyzer's own parser: findings, suppressions and
metrics come out as a full run's would, and so do their fingerprints (identity is per file).

The whole-repository analyzers (dependencies, presence checks, artifacts) run in full.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from findings.importers import ScanFinding
from rescans.file_memo import CheckoutMemo, file_identity
from rescans.inventory import Inventory
from rescans.scanners import (
    BanditScanner,
    LizardScanner,
    RuffScanner,
    RunLimits,
    Scanner,
    ScannerOutput,
    SecretsScanner,
    SemgrepScanner,
)
from rescans.scanners.base import relative_path
from rescans.scanners.coverage import production_targets
from rescans.scanners.semgrep import rule_languages

PYTHON = frozenset({"Python"})


@dataclass(frozen=True)
class Carry:
    """The previous run of one analyzer: its targets, its output per file, and the files changed
    since (added, modified, deleted, both sides of a rename)."""

    targets: frozenset[str]
    entries: dict[str, Any]
    changed: frozenset[str]


class Incremental(Scanner):
    """Mixed in before an analyzer class (see the subclasses below)."""

    def __init__(self) -> None:
        super().__init__()
        self.carry: Carry | None = None  # None: a full run of this analyzer
        self.all_targets: list[str] | None = None  # None: it reads the whole checkout
        self.analysed: list[str] = []  # the files it reads in this run
        self.entries: dict[str, Any] | None = None  # after the run: output per file, all targets
        self.files_total = 0
        self.plan: Any = None  # the run's plan (rescans.incremental.Plan)

    # What each analyzer tells: which files it reads, and how its raw output splits and joins.
    def target_paths(self, inventory: Inventory) -> list[str] | None:  # pragma: no cover
        raise NotImplementedError

    def split(self, raw: list[bytes], workspace: Path) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def rebuild(self, entries: dict[str, Any], targets: list[str], workspace: Path) -> ScannerOutput:
        raise NotImplementedError  # pragma: no cover

    def prepare(self, inventory: Inventory) -> None:
        prepare = getattr(super(), "prepare")  # noqa: B009 - every analyzer here has one
        self.files_total = len(inventory.paths)
        self.all_targets = self.target_paths(inventory)
        if self.carry is None or not self.all_targets:
            self.carry = None
            self.analysed = list(self.all_targets or [])
            prepare(inventory)
            return
        carry = self.carry
        # Unchanged files the previous run did not read (none, unless the target rules changed)
        # are read now too.
        self.analysed = [p for p in self.all_targets if p in carry.changed or p not in carry.targets]
        keep = set(self.analysed)
        prepare(
            dataclasses.replace(
                inventory,
                files=[f for f in inventory.files if f.path in keep],
                paths=[p for p in inventory.paths if p in keep],
            )
        )

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        self.raw_outputs = []
        if self.carry is None:
            output = super().run(workspace, limits, home)
            self.entries = self.split(self.raw_outputs, workspace) if self.all_targets else None
            return output
        assert self.all_targets is not None
        new: dict[str, Any] = {}
        duration = 0.0
        if self.analysed:
            duration = super().run(workspace, limits, home).duration_s
            new = self.split(self.raw_outputs, workspace)
        analysed = set(self.analysed)
        carried = self.carry.entries
        entries = {}
        for path in self.all_targets:
            if path in analysed:
                if path in new:
                    entries[path] = new[path]
            elif path in carried:
                entries[path] = carried[path]
        self.entries = entries
        output = self.rebuild(entries, self.all_targets, workspace)
        output.duration_s = duration
        return output


def _group(entries: dict[str, Any], path: str, empty: Any) -> Any:
    if path not in entries:
        entries[path] = empty
    return entries[path]


class IncrementalRuff(Incremental, RuffScanner):
    def target_paths(self, inventory: Inventory) -> list[str] | None:
        return production_targets(inventory, PYTHON)

    def split(self, raw: list[bytes], workspace: Path) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for out in raw:
            for item in json.loads(out or b"[]"):
                path = item["filename"] = relative_path(item["filename"], workspace)
                _group(entries, path, []).append(item)
        return entries

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        """A full run's output, parsed file by file (see `rebuild`), so the next incremental run
        of this checkout on this worker finds each file's findings already parsed."""
        entries = self.split([stdout], workspace)
        return self.rebuild(entries, [*(self.all_targets or []), *sorted(entries)], workspace)

    def rebuild(self, entries: dict[str, Any], targets: list[str], workspace: Path) -> ScannerOutput:
        """As `parse` of every file's output in target order; a file whose output and identity
        are those of this worker's previous run of the same checkout is not parsed again
        (parsing reads the file for its `noqa` comments and snippets: most of the time of an
        incremental run of Ruff, 3,000 findings on Django's tree)."""
        memo = _RUFF_MEMO.files(workspace)
        findings: list[ScanFinding] = []
        suppressed = 0
        for path in dict.fromkeys(targets):  # each file once, in order
            items = entries.get(path)
            if not items:
                continue
            text = json.dumps(items, sort_keys=True)
            identity = file_identity(workspace / path)
            known = _RUFF_MEMO.get(memo, path, identity)
            if known is not None and known[0] == text:
                part, part_suppressed = [dataclasses.replace(f) for f in known[1]], known[2]
            else:
                output = RuffScanner.parse(self, json.dumps(items).encode(), workspace)
                part, part_suppressed = output.findings, output.suppressed
                if identity is not None and identity == file_identity(workspace / path):  # not rewritten
                    memo[path] = (identity, (text, [dataclasses.replace(f) for f in part], part_suppressed))
            findings += part
            suppressed += part_suppressed
        return self.output(findings, suppressed)


# Ruff's parsed findings per file of the last checkouts of this worker (see IncrementalRuff):
# (its output as JSON, the findings, how many the team silenced).
_RUFF_MEMO: CheckoutMemo[tuple[str, list[ScanFinding], int]] = CheckoutMemo()


class IncrementalBandit(Incremental, BanditScanner):
    def target_paths(self, inventory: Inventory) -> list[str] | None:
        return production_targets(inventory, PYTHON)

    def split(self, raw: list[bytes], workspace: Path) -> dict[str, Any]:
        entries: dict[str, Any] = {}

        def entry(name: str) -> dict[str, Any]:
            empty: dict[str, Any] = {"results": [], "errors": [], "metrics": None}
            return _group(entries, relative_path(name, workspace), empty)  # type: ignore[no-any-return]

        for out in raw:
            data = json.loads(out)
            for item in data.get("results", []):
                item["filename"] = relative_path(item["filename"], workspace)
                entry(item["filename"])["results"].append(item)
            for error in data.get("errors", []):
                entry(str(error.get("filename", "")))["errors"].append(error)
            for name, metrics in (data.get("metrics") or {}).items():
                if name != "_totals":
                    entry(name)["metrics"] = metrics
        return entries

    def rebuild(self, entries: dict[str, Any], targets: list[str], workspace: Path) -> ScannerOutput:
        results: list[Any] = []
        errors: list[Any] = []
        metrics: dict[str, Any] = {}
        totals: dict[str, float] = {}
        for path in targets:
            entry = entries.get(path)
            if entry is None:
                continue
            results += entry["results"]
            errors += entry["errors"]
            if entry["metrics"] is not None:
                metrics[path] = entry["metrics"]
                for key, value in entry["metrics"].items():
                    if isinstance(value, int | float):
                        totals[key] = totals.get(key, 0) + value
        data = {"errors": errors, "results": results, "metrics": {**metrics, "_totals": totals}}
        return self.parse(json.dumps(data).encode(), workspace)


class IncrementalLizard(Incremental, LizardScanner):
    def target_paths(self, inventory: Inventory) -> list[str] | None:
        return [f.path for f in inventory.production_files(self.languages)]

    def split(self, raw: list[bytes], workspace: Path) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for out in raw:
            for line in out.decode("utf-8", "replace").splitlines():
                row = json.loads(line)
                key = next(k for k in ("file", "read", "skipped") if k in row)
                path = row[key] = relative_path(row[key], workspace)
                _group(entries, path, []).append(row)
        return entries

    def rebuild(self, entries: dict[str, Any], targets: list[str], workspace: Path) -> ScannerOutput:
        lines = [json.dumps(row) for path in targets for row in entries.get(path, [])]
        return self.parse("\n".join(lines).encode(), workspace)


class IncrementalSemgrep(Incremental, SemgrepScanner):
    def target_paths(self, inventory: Inventory) -> list[str] | None:
        covered = rule_languages()
        return [f.path for f in inventory.production_files(self.languages) if f.language in covered]

    def split(self, raw: list[bytes], workspace: Path) -> dict[str, Any]:
        entries: dict[str, Any] = {}

        def entry(name: str) -> dict[str, Any]:
            empty: dict[str, Any] = {"results": [], "scanned": False, "errors": 0}
            return _group(entries, relative_path(name, workspace), empty)  # type: ignore[no-any-return]

        for out in raw:
            data = json.loads(out)
            for item in data.get("results", []):
                item["path"] = relative_path(item["path"], workspace)
                entry(item["path"])["results"].append(item)
            for name in (data.get("paths") or {}).get("scanned", []):
                entry(name)["scanned"] = True
            for error in data.get("errors", []):
                if isinstance(error, dict) and error.get("path"):
                    entry(str(error["path"]))["errors"] += 1
        return entries

    def rebuild(self, entries: dict[str, Any], targets: list[str], workspace: Path) -> ScannerOutput:
        present = [entries[path] for path in targets if path in entries]
        findings, suppressed = self._findings(
            {"results": [item for entry in present for item in entry["results"]]}, workspace
        )
        self.read_paths = sorted(path for path in targets if entries.get(path, {}).get("scanned"))
        output = ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=self.report(findings),
            metrics={
                "semgrep_files": len(self.read_paths),
                "semgrep_errors": sum(entry["errors"] for entry in present),
            },
        )
        output.suppressed = suppressed
        return output


class IncrementalSecrets(Incremental, SecretsScanner):
    """Its raw output is one record per text file it read (`secrets.file_record`)."""

    def target_paths(self, inventory: Inventory) -> list[str] | None:
        return list(inventory.paths)

    def split(self, raw: list[bytes], workspace: Path) -> dict[str, Any]:
        entries: dict[str, Any] = {}
        for out in raw:
            record = json.loads(out)
            entries[record.pop("path")] = record
        return entries

    def rebuild(self, entries: dict[str, Any], targets: list[str], workspace: Path) -> ScannerOutput:
        present = [entries[path] for path in targets if path in entries]
        findings = [ScanFinding(**item) for entry in present for item in entry["findings"]]
        production = sum(len(entry["findings"]) for entry in present if entry["production"])
        output = ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=self.report(findings),
            metrics={
                "secrets_files_scanned": len(present),
                "secrets_found": production,
                "secrets_in_tests_or_docs": len(findings) - production,
            },
        )
        output.suppressed = sum(entry["suppressed"] for entry in present)
        return output


INCREMENTAL: dict[str, type[Incremental]] = {
    cls.name: cls
    for cls in (IncrementalSemgrep, IncrementalBandit, IncrementalLizard, IncrementalRuff, IncrementalSecrets)
}
