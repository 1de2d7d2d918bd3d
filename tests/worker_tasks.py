"""A test-only task that holds a worker process until the test lets it go.

Loaded only by workers a test starts with `--include=tests.worker_tasks`; never by production.
"""

from __future__ import annotations

import time
from pathlib import Path

from celery import shared_task

HOLD_TASK = "tests.hold_worker"


@shared_task(name=HOLD_TASK)
def hold_worker(started: str, release: str, timeout: float = 120.0) -> bool:
    """Say it started (a line in `started`), then wait until `release` exists (or the timeout)."""
    with open(started, "a") as marker:
        marker.write("started\n")
    deadline = time.monotonic() + timeout
    while not Path(release).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
