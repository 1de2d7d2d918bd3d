"""Running the scanners of a re-scan on a checkout: in parallel, each in its own limits; a
failure only fails its part."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from django.conf import settings

from rescans import workspace
from rescans.inventory import Inventory, build_inventory, walk
from rescans.models import ERROR_MAX_CHARS
from rescans.sanitize import clean_text
from rescans.scanners import RunLimits, Scanner, ScannerError, ScannerOutput

logger = logging.getLogger(__name__)


def run_limits() -> RunLimits:
    return RunLimits(
        timeout_s=float(settings.SCAN_SCANNER_TIMEOUT_SECONDS),
        max_output_bytes=int(settings.SCAN_MAX_OUTPUT_BYTES),
    )


def stored_text(text: str) -> str:
    """Text a scanner or a repository produced, made storable and short: PostgreSQL refuses NUL
    in text and JSON, so a failure message built from it can always be saved."""
    return clean_text(text, limit=ERROR_MAX_CHARS)


@runtime_checkable
class StartsEarly(Protocol):
    """An analyzer that may start from the checkout's listing, before the inventory is read."""

    inventory_ready: threading.Event  # set once `prepare` was called (or the inventory failed)

    def start_early(self, root: Path, paths: list[str]) -> bool: ...


@dataclass
class ScanResult:
    outputs: list[ScannerOutput] = field(default_factory=list)
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)
    links_note: str = ""  # the symbolic links removed from the checkout before analysis
    inventory: Inventory | None = None  # what the repository holds (None: it could not be listed)


def run_scanners(scanners: list[Scanner], path: Path, home: str, *, few_files: bool = False) -> ScanResult:
    """Run the scanners in parallel (they are subprocesses); a failure only fails its part.

    SCAN_PARALLELISM of them at once; all at once when they read `few_files` (an incremental
    run's changed files): each then lasts a fraction of a second, mostly its own start-up
    (Django, one file changed, on 2 CPUs: the inventory and analyzers took 0.65-0.74 s with 2 at
    once, 0.56-0.68 s with 3, 0.64-0.67 s with all)."""
    limits = run_limits()
    result = ScanResult()
    parallelism = len(scanners) if few_files else int(settings.SCAN_PARALLELISM)
    workers = max(1, min(len(scanners), parallelism))
    # One walk of the checkout: the inventory and the analyzers read its file list.
    deadline = time.monotonic() + limits.timeout_s
    try:
        paths: list[str] | None = walk(path, deadline=deadline)
    except (OSError, TimeoutError):
        logger.exception("re-scan: the checkout could not be listed")
        paths = None
    # The longest analyzer (Semgrep) starts from the listing alone, while the inventory reads
    # the files; it waits for the inventory only to keep its targets' output.
    early = [
        scanner
        for scanner in scanners
        if paths is not None and isinstance(scanner, StartsEarly) and scanner.start_early(path, paths)
    ]

    def one(scanner: Scanner) -> tuple[Scanner, ScannerOutput | ScannerError, float]:
        t0 = time.monotonic()
        try:
            return scanner, scanner.run(path, limits, home), time.monotonic() - t0
        except ScannerError as exc:
            return scanner, exc, time.monotonic() - t0
        except Exception as exc:  # noqa: BLE001 - one scanner's bug never stops the others
            logger.exception("scanner %s crashed", scanner.name)
            return (
                scanner,
                ScannerError(f"{scanner.name}: crashed ({type(exc).__name__})"),
                time.monotonic() - t0,
            )

    with ThreadPoolExecutor(max_workers=workers) as pool:
        started: dict[Scanner, Future[tuple[Scanner, ScannerOutput | ScannerError, float]]] = {
            scanner: pool.submit(one, scanner) for scanner in early
        }
        try:
            if paths is not None:
                try:
                    result.inventory = build_inventory(path, paths=paths)
                except (OSError, TimeoutError):
                    logger.exception("re-scan: the checkout could not be listed")
            for scanner in scanners:
                if hasattr(scanner, "prepare") and result.inventory is not None:
                    scanner.prepare(result.inventory)
        finally:
            for scanner in early:  # with or without an inventory: they never wait for ever
                scanner.inventory_ready.set()
        futures = [started.get(scanner) or pool.submit(one, scanner) for scanner in scanners]
        for future in futures:
            scanner, output, duration = future.result()
            part: dict[str, Any] = {"domain": scanner.domain, "duration_s": round(duration, 2)}
            if not isinstance(output, ScannerError):
                part.update(status="ok", findings=len(output.findings), suppressed_by_team=output.suppressed)
                result.outputs.append(output)
            else:
                error = output
                part.update(
                    status="timeout" if error.timed_out else "failed",
                    error=stored_text(str(error)),
                    stderr_tail=stored_text(workspace.redact(error.stderr_tail)[-2000:]),
                )
            result.parts[scanner.name] = part
    return result
