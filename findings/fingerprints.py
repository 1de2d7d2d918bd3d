"""Stable finding identity across runs. The rule is documented in docs/fingerprints.md."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Iterable

from findings.importers.base import ScanFinding

VERSION = "v1"


def normalise_path(path: str) -> str:
    """Forward slashes, no "./" prefix, no "a/../b"; absolute paths are handled per report."""
    path = path.strip().replace("\\", "/")
    if not path:
        return ""
    path = posixpath.normpath(path)
    if path == ".":
        return ""
    if path.startswith("//"):
        path = "/" + path.lstrip("/")
    return path


def normalise_snippet(snippet: str) -> str:
    """Indentation and spacing do not matter; the code itself does."""
    return " ".join(snippet.split())


def _strip_common_root(findings: list[ScanFinding]) -> None:
    """Absolute paths (a scan of /some/checkout/...) become relative to their common folder,
    so the same repository scanned from another checkout keeps its fingerprints."""
    absolute = [f.file_path for f in findings if f.file_path.startswith("/")]
    if not absolute:
        return
    root = posixpath.commonpath([posixpath.dirname(p) for p in absolute])
    prefix = root.rstrip("/") + "/"
    for finding in findings:
        if finding.file_path.startswith(prefix):
            finding.file_path = finding.file_path[len(prefix) :]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def assign_fingerprints(findings: Iterable[ScanFinding]) -> list[ScanFinding]:
    """Set `.fingerprint` (64 hex chars) on every finding of one report and return them.

    Identity = tool + rule + normalised path + (the tool's own fingerprint, else the normalised
    source line), plus the rank of the result among identical ones in the same file, counted in
    line order. The line number itself is never part of it.
    """
    findings = list(findings)
    paths: dict[str, str] = {}  # a report names few files many times
    for finding in findings:
        path = paths.get(finding.file_path)
        if path is None:
            path = paths[finding.file_path] = normalise_path(finding.file_path)
        finding.file_path = path
    _strip_common_root(findings)
    groups: dict[tuple[str, ...], list[ScanFinding]] = {}
    for finding in findings:
        if finding.tool_fingerprint:
            key = (finding.tool, finding.rule_id, finding.file_path, "fp", finding.tool_fingerprint)
        else:
            key = (
                finding.tool,
                finding.rule_id,
                finding.file_path,
                "code",
                normalise_snippet(finding.snippet),
            )
        members = groups.get(key)
        if members is None:
            groups[key] = [finding]
        else:
            members.append(finding)
    sha256 = hashlib.sha256
    for key, members in groups.items():
        # _digest(VERSION, *key, str(rank)), the common part joined once per group.
        head = "\x00".join((VERSION, *key, ""))
        if len(members) > 1:
            members.sort(key=lambda f: f.line if f.line is not None else 0)  # stable sort
            for rank, finding in enumerate(members):
                finding.fingerprint = sha256(f"{head}{rank}".encode("utf-8", "surrogatepass")).hexdigest()
        else:
            members[0].fingerprint = sha256(f"{head}0".encode("utf-8", "surrogatepass")).hexdigest()
    return findings
