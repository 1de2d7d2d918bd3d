"""CI artifacts found in the repository: Cobertura coverage and JUnit test results.

Only files at the configured paths (setting SCAN_ARTIFACT_PATHS) are considered, never outside
the checkout (symlinks are resolved). They are recognised by their root element and read by the
findings importer's readers (their metrics and failed tests); one it cannot read fails the part,
naming the file. Tests are never run.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

from findings.importers import ParsedScan, ScanFormatError, parse_scan
from rescans.scanners.base import RunLimits, Scanner, ScannerError, ScannerOutput

MAX_ARTIFACT_BYTES = 20 * 1024 * 1024
ROOT_ELEMENTS = {b"<coverage": "cobertura", b"<testsuites": "junit", b"<testsuite": "junit"}


class ArtifactsScanner(Scanner):
    name = "artifacts"
    tool = "junit"
    domain = "testing"

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        started = time.monotonic()
        found = []
        files: list[tuple[str, ParsedScan]] = []
        root = workspace.resolve()
        for rel in settings.SCAN_ARTIFACT_PATHS:
            try:
                resolved = (workspace / rel).resolve()
                resolved.relative_to(root)  # no symlink out of the checkout
                if not resolved.is_file() or resolved.stat().st_size > MAX_ARTIFACT_BYTES:
                    continue
                content = resolved.read_bytes()
            except (OSError, ValueError):
                continue
            kind = _kind(content[:4096])
            if not kind:
                continue
            try:
                files.append((rel, parse_scan(content, file_name=rel, format=kind)))
            except ScanFormatError as exc:
                raise ScannerError(f"{self.name}: {exc}", workspace=workspace) from exc
            found.append({"path": rel, "kind": kind})
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            metrics={"artifacts": found},
            files=files,
            duration_s=time.monotonic() - started,
        )


def _kind(head: bytes) -> str:
    """The first root element decides: <coverage> is Cobertura, <testsuite(s)> is JUnit."""
    positions = {kind: head.find(tag) for tag, kind in ROOT_ELEMENTS.items() if head.find(tag) >= 0}
    return min(positions, key=positions.__getitem__) if positions else ""
