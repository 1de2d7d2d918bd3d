"""CI artifacts found in the repository: Cobertura coverage and JUnit test results.

Only files at the configured paths (setting SCAN_ARTIFACT_PATHS) are considered, never outside
the checkout (symlinks are resolved). They are recognised by their root element and handed to
the findings importer as they are (it reads their metrics and failed tests). Tests are never run.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

from rescans.scanners.base import RunLimits, Scanner, ScannerOutput

MAX_ARTIFACT_BYTES = 20 * 1024 * 1024
ROOT_ELEMENTS = {b"<coverage": "cobertura", b"<testsuites": "junit", b"<testsuite": "junit"}


class ArtifactsScanner(Scanner):
    name = "artifacts"
    tool = "junit"
    domain = "testing"

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        started = time.monotonic()
        found = []
        root = workspace.resolve()
        for rel in settings.SCAN_ARTIFACT_PATHS:
            try:
                resolved = (workspace / rel).resolve()
                resolved.relative_to(root)  # no symlink out of the checkout
                if not resolved.is_file() or resolved.stat().st_size > MAX_ARTIFACT_BYTES:
                    continue
                head = resolved.read_bytes()[:4096]
            except (OSError, ValueError):
                continue
            kind = _kind(head)
            if kind:
                found.append({"path": rel, "kind": kind})
        return ScannerOutput(
            scanner=self.name,
            tool=self.tool,
            metrics={"artifacts": found},
            duration_s=time.monotonic() - started,
        )


def _kind(head: bytes) -> str:
    """The first root element decides: <coverage> is Cobertura, <testsuite(s)> is JUnit."""
    positions = {kind: head.find(tag) for tag, kind in ROOT_ELEMENTS.items() if head.find(tag) >= 0}
    return min(positions, key=positions.__getitem__) if positions else ""
