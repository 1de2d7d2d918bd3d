"""How many analyzers a re-scan runs at once: SCAN_PARALLELISM, or all of an incremental run's."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from rescans.execution import run_scanners
from rescans.scanners import RunLimits, Scanner, ScannerOutput


class Waits(Scanner):
    """An "analyzer" that waits a moment in a real subprocess; its run records when it ran."""

    tool = "waits"
    domain = "security"
    spans: ClassVar[list[tuple[float, float]]] = []

    def __init__(self, name: str) -> None:
        self.name = name

    def command(self, workspace: Path) -> list[str]:
        return [sys.executable, "-c", "import time; time.sleep(0.4)"]

    def parse(self, stdout: bytes, workspace: Path) -> ScannerOutput:
        return ScannerOutput(scanner=self.name, tool=self.tool)

    def run(self, workspace: Path, limits: RunLimits, home: str) -> ScannerOutput:
        started = time.monotonic()
        output = super().run(workspace, limits, home)
        self.spans.append((started, time.monotonic()))
        return output


def most_at_once(spans: list[tuple[float, float]]) -> int:
    return max(sum(1 for s, e in spans if s <= start < e) for start, _end in spans)


@pytest.mark.parametrize(("few_files", "expected"), [(False, 2), (True, 4)])
def test_an_incremental_run_starts_all_its_analyzers_at_once(tmp_path, settings, few_files, expected):
    settings.SCAN_PARALLELISM = 2
    Waits.spans = []
    home = tmp_path / "home"
    home.mkdir()

    result = run_scanners([Waits(f"w{i}") for i in range(4)], tmp_path, str(home), few_files=few_files)

    assert [part["status"] for part in result.parts.values()] == ["ok"] * 4
    assert most_at_once(Waits.spans) == expected
