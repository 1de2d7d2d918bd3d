"""Streamed reading of Bandit JSON and SARIF files (ijson): memory does not grow with the
number of results.

Two passes over the file. The first reads everything but the results arrays (which it skips,
counting their entries): format, metrics, each SARIF run's rules and locations, and whether the
file holds JSON escapes that need cleaning; it also computes the file's SHA-256. The second
yields the results one by one, through the same per-result code as the in-memory parsers, so
findings, error messages and their locations are the same.

A file this module does not read (not a JSON object, UTF-16, a syntax error, a number the
streaming parser cannot hold, a lone surrogate escape) raises `ReadWhole`: the caller reads it
whole with `parse_scan`, which words the problem precisely or parses it exactly as always.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import ijson
from ijson.common import ObjectBuilder

from findings.importers import bandit, sarif
from findings.importers.base import ScanFinding, ScanFormatError, clean_finding, clean_text, expect

READ_SIZE = 256 * 1024
# Escapes that decode to text needing cleaning (see base.may_hold_unsafe_text), on raw bytes.
_UNSAFE_ESCAPE = re.compile(rb"\\u(?:00[01][0-9a-fA-F]|[dD][89a-fA-F][0-9a-fA-F]{2})")
# A surrogate escape that is not half of a pair: the streaming parser decodes it as "?", the
# in-memory one as U+FFFD; such files are read whole so a finding's text never depends on the way in.
_LONE_SURROGATE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_CARRY = 12
_RESULT_ARRAYS = {"results": "results.item", "runs.item.results": "runs.item.results.item"}
_ITEM_STARTS = frozenset({"start_map", "start_array", "string", "number", "boolean", "null"})
_JSON_FORMATS = ("bandit", "sarif")


class ReadWhole(Exception):
    """This file is not streamed: read it whole (parse_scan) instead."""


class _Reader:
    """A binary file as ijson reads it, watching for escapes and hashing when asked."""

    def __init__(self, raw: IO[bytes], *, skip: int, hasher: Any = None):
        self.raw = raw
        self.hasher = hasher
        self.unsafe = False
        self.lone_surrogate = False
        self._carry = b""
        raw.seek(0)
        if hasher is not None and skip:
            hasher.update(raw.read(skip))
        else:
            raw.seek(skip)

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(READ_SIZE if size is None or size < 0 else size)
        if self.hasher is not None:
            self.hasher.update(data)
            buf = self._carry + data
            if not self.unsafe and _UNSAFE_ESCAPE.search(buf):
                self.unsafe = True
            if self.unsafe and not self.lone_surrogate:
                end = len(buf) if not data else len(buf) - 6  # room for the pair's second half
                self.lone_surrogate = any(m.end() <= end for m in _LONE_SURROGATE.finditer(buf))
            self._carry = buf[-_CARRY:]
        return data


class _Placeholder(list):
    """A results array the first pass skipped: empty, with the number of its entries."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0


@dataclass
class StreamedScan:
    """A report read by its first pass; `findings()` streams its results (the second pass)."""

    file: IO[bytes]
    format: str
    tool: str
    skip: int
    unsafe: bool
    sha256: str
    tools: set[str] = field(default_factory=set)
    metrics: dict[str, Any] = field(default_factory=dict)
    results: int = 0
    # Bandit: the "metrics" object, checked after the results as parse_scan does.
    raw_metrics: Any = None
    # SARIF: (run, tool name, number of results) for each run with a results array, in order.
    runs: list[tuple[sarif._Run, str, int]] = field(default_factory=list)

    def findings(self) -> Iterator[ScanFinding]:
        """The results, in order; Bandit's `metrics` are set once they have all been read."""
        reader = _Reader(self.file, skip=self.skip)
        try:
            if self.format == "bandit":
                items = ijson.items(reader, "results.item", use_float=True)
                for index, result in enumerate(items):
                    yield self._clean(bandit.parse_result(result, index))
                self.metrics = bandit.parse_metrics(self.raw_metrics)
                return
            items = ijson.items(reader, "runs.item.results.item", use_float=True)
            for run, tool, count in self.runs:
                for index in range(count):
                    finding = sarif.parse_result(run, tool, next(items), f"{run.where}.results[{index}]")
                    if finding is not None:
                        yield self._clean(finding)
        except (ijson.JSONError, ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, ScanFormatError):
                raise
            # The first pass read the same bytes without error: this cannot happen unless the
            # file changed under us.
            raise ScanFormatError(f"the file changed while it was read ({type(exc).__name__})") from None

    def _clean(self, finding: ScanFinding) -> ScanFinding:
        if self.unsafe:
            clean_finding(finding)
        return finding


def open_scan(file: IO[bytes], *, format: str = "auto") -> StreamedScan:
    """Read everything but the results of a Bandit or SARIF file (the first pass).

    Raises ScanFormatError for a report that is well-formed JSON but not a valid one (the same
    message as parse_scan), ReadWhole for a file to read whole instead.
    """
    if format not in ("auto", *_JSON_FORMATS):
        raise ReadWhole(format)
    file.seek(0)
    head = file.read(4096)
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ReadWhole("UTF-16")
    skip = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    if head[skip:].lstrip()[:1] != b"{":
        raise ReadWhole("not a JSON object")
    reader = _Reader(file, skip=skip, hasher=hashlib.sha256())
    try:
        doc, duplicated = _header(reader)
    except (ijson.JSONError, ValueError, UnicodeDecodeError, RecursionError):
        raise ReadWhole("syntax") from None
    if duplicated or reader.lone_surrogate:
        raise ReadWhole("duplicated results or a lone surrogate")
    if format == "auto":
        format = next((name for name in _JSON_FORMATS if _looks_like(name, doc)), "")
        if not format:
            raise ScanFormatError(
                'JSON that is neither a Bandit report ("results" and '
                '"metrics") nor a SARIF log ("version" and "runs")'
            )
    scan = StreamedScan(
        file=file, format=format, tool="", skip=skip, unsafe=reader.unsafe, sha256=reader.hasher.hexdigest()
    )
    if format == "bandit":
        expect(bandit.looks_like(doc), 'not a Bandit JSON report (no "results" list with "metrics")')
        scan.tool = bandit.TOOL
        scan.tools = {bandit.TOOL}
        scan.results = doc["results"].count
        scan.raw_metrics = doc.get("metrics")
    else:
        _sarif_header(scan, doc)
    return scan


def _looks_like(name: str, doc: Any) -> bool:
    return bandit.looks_like(doc) if name == "bandit" else sarif.looks_like(doc)


def _sarif_header(scan: StreamedScan, doc: Any) -> None:
    tool_names: list[str] = []
    for run_index, raw_run in enumerate(sarif.check_log(doc)):
        run, tool = sarif.open_run(raw_run, run_index)
        if tool not in tool_names:
            tool_names.append(tool)
        results = raw_run.get("results")
        if results is None:
            continue
        scan.tools.add(tool)
        expect(isinstance(results, list), "results is not a list", f"runs[{run_index}].results")
        count = results.count if isinstance(results, _Placeholder) else 0
        scan.runs.append((run, tool, count))
        scan.results += count
    scan.tool = clean_text(", ".join(tool_names))[:100]


def _header(reader: _Reader) -> tuple[Any, bool]:
    """The document without the entries of its results arrays (each replaced by a counted
    placeholder), and whether one object holds two results arrays (JSON lets the last win)."""
    builder = ObjectBuilder()
    containers = builder.containers
    skipping = ""
    item_prefix = ""
    placeholder = _Placeholder()
    duplicated = False
    starts = _ITEM_STARTS
    for prefix, event, value in ijson.parse(reader, use_float=True):
        if skipping:
            if prefix == item_prefix:
                if event in starts:
                    placeholder.count += 1
            elif prefix == skipping:  # the end of the skipped array
                skipping = ""
            continue
        if event == "start_array" and prefix in _RESULT_ARRAYS:
            parent = containers[-1] if containers else None
            if isinstance(parent, dict) and builder.key in parent:
                duplicated = True
            placeholder = _Placeholder()
            if parent is not None:
                if isinstance(parent, list):
                    parent.append(placeholder)
                else:
                    parent[builder.key] = placeholder
            skipping, item_prefix = prefix, _RESULT_ARRAYS[prefix]
            continue
        builder.event(event, value)
    return builder.value, duplicated
