"""The per-file analyzers of an incremental re-scan: Semgrep, Bandit, Ruff, lizard, secrets.

Each reads files one by one (a result depends only on the file it is in and on auditor's
configuration), so its results for a file that did not change are those of the previous run.
Each class here is the analyzer itself (a subclass) that also keeps its raw output file by file
(`entries`: path -> what the tool printed for it, as JSON text). In a full run it runs as usual
and only keeps that output for the next run. In an incremental run (`carry` set) it runs on the
changed files only, then puts the previous run's output of the unchanged files together with the
new output, with the analyzer's own parser: findings, suppressions and metrics come out as a full
run's would, and so do their fingerprints (identity is per file).

Bandit, Ruff and lizard parse their output file by file, in full runs too, and a worker keeps
each file's parsed part while the file and its output are unchanged (`Incremental.rebuild`):
an incremental run on the worker that ran the previous one parses only the changed files
(Django's tree: about 0.05 s of parsing instead of 0.5 s). Kept as text, the unchanged files'
output is carried without being decoded (the state of Django's tree: 0.02 s to read instead of
0.3 s).

The whole-repository analyzers (dependencies, presence checks, artifacts) run in full.
"""

from __future__ import annotations

import dataclasses
import json
import operator
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from findings.importers import ScanFinding, parse_scan
from rescans.file_memo import CheckoutMemo, file_identity
from rescans.inventory import Inventory, candidate_files
from rescans.sanitize import clean_data
from rescans.scanners import (
    BanditScanner,
    LizardScanner,
    RuffScanner,
    RunLimits,
    Scanner,
    ScannerError,
    ScannerOutput,
    SecretsScanner,
    SemgrepScanner,
)
from rescans.scanners.base import relative_path
from rescans.scanners.coverage import production_targets
from rescans.scanners.semgrep import ENV as SEMGREP_ENV
from rescans.scanners.semgrep import rule_languages

PYTHON = frozenset({"Python"})
# An incremental Semgrep starts before the inventory when the listing offers at most this many
# files beyond the changed ones (see `IncrementalSemgrep.start_early`).
EARLY_EXTRA_FILES = 50


@dataclass(frozen=True)
class Carry:
    """The previous run of one analyzer: its targets, its output per file (as JSON text, see
    `Incremental`), and the files changed since (added, modified, deleted, both sides of a
    rename)."""

    targets: frozenset[str]
    entries: dict[str, str]
    changed: frozenset[str]


def entry_text(value: Any) -> str:
    """One file's raw output as it is kept: JSON text, the same for the same output."""
    return json.dumps(value, separators=(",", ":"))


_FINDING_FIELDS = tuple(f.name for f in dataclasses.fields(ScanFinding))
_finding_values = operator.attrgetter(*_FINDING_FIELDS)


def _copies(findings: list[ScanFinding]) -> list[ScanFinding]:
    """Fresh copies of kept findings: the importer sets their path and fingerprint in place."""
    return [ScanFinding(*_finding_values(f)) for f in findings]


# What each analyzer made of each file of the last checkouts of this worker, by analyzer name:
# path -> (file identity, (the file's output as kept, the part parsed from it)).
_PARSED: dict[str, CheckoutMemo[tuple[str, Any]]] = {}
_PARSED_LOCK = threading.Lock()


def _parsed_memo(name: str) -> CheckoutMemo[tuple[str, Any]]:
    with _PARSED_LOCK:
        return _PARSED.setdefault(name, CheckoutMemo())


def clear_memos() -> None:
    """Forget every parsed file (tests)."""
    with _PARSED_LOCK:
        for memo in _PARSED.values():
            memo.clear()


class Incremental(Scanner):
    """Mixed in before an analyzer class (see the subclasses below).

    Its output is kept per file as JSON text (`entries`): the next run carries an unchanged
    file's text as it is, and a file whose text and identity are those of this worker's previous
    run of the same checkout is not parsed again (`parse_file`, memo per analyzer): an
    incremental run then parses only the changed files, and a full run leaves every file's part
    parsed for the next one."""

    def __init__(self) -> None:
        super().__init__()
        self.carry: Carry | None = None  # None: a full run of this analyzer
        self.all_targets: list[str] | None = None  # None: it reads the whole checkout
        self.analysed: list[str] = []  # the files it reads in this run
        self.entries: dict[str, str] | None = None  # after the run: output per file, all targets
        self.files_total = 0
        self.plan: Any = None  # the run's plan (rescans.incremental.Plan)
        # Output per file of each command whose output went through `parse` (see `parse`).
        self.parsed_entries: list[tuple[bytes, dict[str, str]]] = []

    # What each analyzer tells: which files it reads, and how its raw output splits and joins.
    def target_paths(self, inventory: Inventory) -> list[str] | None:  # pragma: no cover
        raise NotImplementedError

    def split(self, raw: list[bytes], workspace: Path) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    def parse_file(self, path: str, value: Any, workspace: Path) -> Any:  # pragma: no cover
        """What the analyzer makes of one file's output (a part for `combine`; kept, never
        changed)."""
        raise NotImplementedError

    def combine(self, parts: list[Any], workspace: Path) -> ScannerOutput:  # pragma: no cover
        """The output of the whole run from the files' parts, in target order."""
        raise NotImplementedError

    def texts(self, raw: list[bytes], workspace: Path) -> dict[str, str]:
        return {path: entry_text(value) for path, value in self.split(raw, workspace).items()}

    def rebuild(self, entries: dict[str, str], targets: list[str], workspace: Path) -> ScannerOutput:
        """As a full run's parse of every file's output, in target order: each file's part from
        this worker's memo when the file and its output are unchanged, else parsed now."""
        memo_of = _parsed_memo(self.name)
        memo = memo_of.files(workspace)
        parts = []
        for path in dict.fromkeys(targets):  # each file once, in order
            text = entries.get(path)
            if text is None:
                continue
            identity = file_identity(workspace / path)
            known = memo_of.get(memo, path, identity)
            if known is not None and known[0] == text:
                parts.append(known[1])
                continue
            part = self.parse_file(path, json.loads(text), workspace)
            if identity is not None and identity == file_identity(workspace / path):  # not rewritten
                memo[path] = (identity, (text, part))
            parts.append(part)
        return self.combine(parts, workspace)

    def parse_whole(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        """`parse` for the analyzers whose command's output goes through it: file by file (see
        `rebuild`), the output per file kept for `run`."""
        entries = self.texts([stdout], workspace)
        self.parsed_entries.append((stdout, entries))
        return self.rebuild(entries, [*(self.all_targets or []), *sorted(entries)], workspace)

    def _entries_of_run(self, workspace: Path) -> dict[str, str]:
        """The output per file of this run's commands."""
        raw = self.raw_outputs or []
        seen = self.parsed_entries
        if len(seen) == len(raw) and all(a is b for a, (b, _) in zip(raw, seen, strict=True)):
            entries: dict[str, str] = {}
            for _stdout, part in seen:
                entries.update(part)
            return entries
        return self.texts(raw, workspace)

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
        self.parsed_entries = []
        if self.carry is None:
            output = super().run(workspace, limits, home)
            self.entries = self._entries_of_run(workspace) if self.all_targets else None
            return output
        assert self.all_targets is not None
        new: dict[str, str] = {}
        duration = 0.0
        if self.analysed:
            duration = super().run(workspace, limits, home).duration_s
            new = self._entries_of_run(workspace)
        return self.carried_forward(new, workspace, duration)

    def carried_forward(self, new: dict[str, str], workspace: Path, duration: float) -> ScannerOutput:
        """The output of an incremental run: `new` (output per file) for the files it read,
        the previous run's for the others, put together as a full run's."""
        assert self.carry is not None and self.all_targets is not None
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
        return self.parse_whole(stdout, workspace)

    def parse_file(self, path: str, value: Any, workspace: Path) -> Any:
        """(findings, how many the team silenced); parsing reads the file for its `noqa`
        comments and snippets."""
        output = RuffScanner.parse(self, json.dumps(value).encode(), workspace)
        return output.findings, output.suppressed

    def combine(self, parts: list[Any], workspace: Path) -> ScannerOutput:
        findings: list[ScanFinding] = []
        for part_findings, _suppressed in parts:
            findings += _copies(part_findings)
        return self.output(findings, sum(suppressed for _findings, suppressed in parts))


@dataclass(frozen=True)
class _BanditPart:
    results: list[Any]  # cleaned, as in the report
    errors: list[Any]
    metrics: tuple[str, Any] | None  # (the file's name, its metrics) cleaned, as in the report
    raw_metrics: dict[str, Any] | None  # as bandit printed them: the totals add them up
    suppressed: int


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

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        return self.parse_whole(stdout, workspace)

    def parse_file(self, path: str, value: Any, workspace: Path) -> Any:
        """Bandit's own parse of a report of this file alone: its results as the whole report
        keeps them (`# nosec` read from the file, severities adjusted, text cleaned)."""
        metrics = {} if value["metrics"] is None else {path: value["metrics"]}
        doc = {"errors": value["errors"], "results": value["results"], "metrics": metrics}
        output = BanditScanner.parse(self, json.dumps(doc).encode(), workspace)
        cleaned = json.loads(output.source)
        kept_metrics = next(iter(cleaned["metrics"].items()), None)
        return _BanditPart(
            results=cleaned["results"],
            errors=cleaned["errors"],
            metrics=kept_metrics,
            raw_metrics=value["metrics"],
            suppressed=output.suppressed,
        )

    def combine(self, parts: list[Any], workspace: Path) -> ScannerOutput:
        """`BanditScanner.parse` of the whole report, from the files' parts (cleaning is done
        value by value, so the parts' cleaned values are the whole report's)."""
        results: list[Any] = []
        errors: list[Any] = []
        metrics: dict[str, Any] = {}
        totals: dict[str, float] = {}
        suppressed = 0
        for part in parts:
            results += part.results
            errors += part.errors
            suppressed += part.suppressed
            if part.metrics is not None:
                metrics[part.metrics[0]] = part.metrics[1]
            for key, value in (part.raw_metrics or {}).items():
                if isinstance(value, int | float):
                    totals[key] = totals.get(key, 0) + value
        data = {
            "errors": errors,
            "results": results,
            "metrics": {**metrics, "_totals": clean_data(totals, limit=0)},
        }
        source = json.dumps(data).encode()
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            report=parse_scan(source, file_name="bandit.json", format="bandit"),
            metrics={
                "bandit_loc": totals.get("loc"),
                "bandit_errors": len(errors),
                "suppressed_by_team": suppressed,
            },
            source=source,
            suppressed=suppressed,
        )


@dataclass(frozen=True)
class _LizardPart:
    output: ScannerOutput  # lizard's parse of the file's rows
    read: list[str]
    complexity: int  # the sum of its functions' complexity


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

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        return self.parse_whole(stdout, workspace)

    def parse_file(self, path: str, value: Any, workspace: Path) -> Any:
        output = LizardScanner.parse(self, "\n".join(json.dumps(row) for row in value).encode(), workspace)
        complexity = sum(int(row["ccn"]) for row in value if "read" not in row and "skipped" not in row)
        return _LizardPart(output=output, read=list(self.read_paths or []), complexity=complexity)

    def combine(self, parts: list[Any], workspace: Path) -> ScannerOutput:
        """`LizardScanner.parse` of every row: the counts added up, the average recomputed."""
        findings: list[ScanFinding] = []
        read: list[str] = []
        counts: dict[str, Any] = dict.fromkeys(LizardScanner.parse(self, b"", workspace).metrics, 0)
        complexity = 0
        for part in parts:
            findings += _copies(part.output.findings)
            read += part.read
            complexity += part.complexity
            for key, value in part.output.metrics.items():
                counts[key] += value
        functions = counts["functions"]
        counts["average_complexity"] = round(complexity / functions, 2) if functions else 0
        self.read_paths = read
        return ScannerOutput(scanner=self.name, tool=self.tool, report=self.report(findings), metrics=counts)


class IncrementalSemgrep(Incremental, SemgrepScanner):
    """Semgrep, the longest analyzer, starts as soon as the checkout is listed (`start_early`),
    while the inventory reads the files: on the files that may be production code of the rule
    pack's languages (`inventory.candidate_files`, told by path and size); in an incremental
    run, on those of them that changed or that the previous run did not read. Its output per
    file is then kept for the inventory's targets only (in an incremental run, for the targets
    `prepare` chose to read, the others' output carried), so its findings, metrics and kept
    output are those of a run on exactly these (a file's results depend on that file only); the
    few other files (made vendored by their content) are read for nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.early_targets: list[str] | None = None  # set: the run starts before the inventory
        self.inventory_ready = threading.Event()

    def target_paths(self, inventory: Inventory) -> list[str] | None:
        covered = rule_languages()
        return [f.path for f in inventory.production_files(self.languages) if f.language in covered]

    def start_early(self, root: Path, paths: list[str]) -> bool:
        """Choose the files to read from the checkout's listing alone; True when the run may
        then start before `prepare` (which must be followed by `inventory_ready`)."""
        candidates = candidate_files(root, paths, rule_languages() & self.languages)
        if self.carry is not None:
            carry = self.carry
            candidates = [p for p in candidates if p in carry.changed or p not in carry.targets]
            if len(candidates) > len(carry.changed) + EARLY_EXTRA_FILES:
                # Many files the previous run left out (vendored by their content, say): read
                # only those the inventory makes targets, once it is built.
                return False
        self.early_targets = candidates
        return True

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        if self.early_targets is None:
            return super().run(workspace, limits, home)
        self.raw_outputs = []
        self.parsed_entries = []
        self.read_paths = []
        duration = self._read(self.early_targets, workspace, limits, home)
        # The inventory is read meanwhile; each file's output is kept for its targets only.
        if not self.inventory_ready.wait(timeout=limits.timeout_s):
            raise ScannerError(f"{self.name}: the repository's inventory did not come in time; not measured")
        self.require_inventory()
        targets = self.all_targets or []
        if self.carry is not None:
            # `prepare` chose among the targets; a file the listing did not offer is read now.
            early = set(self.early_targets)
            duration += self._read([p for p in self.analysed if p not in early], workspace, limits, home)
            wanted = set(self.analysed)
            new = {path: text for path, text in self._entries_of_run(workspace).items() if path in wanted}
            return self.carried_forward(new, workspace, duration)
        wanted = set(targets)
        entries = {path: text for path, text in self._entries_of_run(workspace).items() if path in wanted}
        self.entries = entries if targets else None
        output = self.rebuild(entries, targets, workspace)
        output.duration_s = duration
        return output

    def _read(self, paths: list[str], workspace: Path, limits: RunLimits, home: str) -> float:
        """Run Semgrep on these files (its output added to `raw_outputs`); its time."""
        duration = 0.0
        for command, batch in self.commands(paths, limits, home) if paths else []:
            result = self.execute([*command, "--", *batch], workspace, limits, home, SEMGREP_ENV)
            duration += result.duration_s
        return duration

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

    def rebuild(self, entries: dict[str, str], targets: list[str], workspace: Path) -> ScannerOutput:
        """Few results: they are read again, in one go."""
        names = [path for path in dict.fromkeys(targets) if path in entries]
        present = _decoded(entries, names)
        findings, suppressed = self._findings(
            {"results": [item for entry in present for item in entry["results"]]}, workspace
        )
        self.read_paths = sorted(path for path, entry in zip(names, present, strict=True) if entry["scanned"])
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

    def rebuild(self, entries: dict[str, str], targets: list[str], workspace: Path) -> ScannerOutput:
        present = _decoded(entries, [path for path in dict.fromkeys(targets) if path in entries])
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


def _decoded(entries: dict[str, str], paths: list[str]) -> list[Any]:
    """The output kept for these files, decoded in one call."""
    return json.loads("[" + ",".join(entries[path] for path in paths) + "]")  # type: ignore[no-any-return]


INCREMENTAL: dict[str, type[Incremental]] = {
    cls.name: cls
    for cls in (IncrementalSemgrep, IncrementalBandit, IncrementalLizard, IncrementalRuff, IncrementalSecrets)
}
