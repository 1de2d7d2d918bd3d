"""`manage.py run_beat`: of two wrappers started at once, one runs beat and the other waits; when
the first dies, the second runs beat within seconds (real processes, real PostgreSQL lock)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the lock is a PostgreSQL advisory lock"),
]
MANAGE = Path(__file__).resolve().parents[2] / "manage.py"
# Stands in for celery beat: prints who it is, then runs until stopped.
FAKE_BEAT = "import sys, time; print('beat', sys.argv[1], flush=True); time.sleep(120)"


def _url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start(name: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _url(), "SECRET_KEY": "test-only", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [
            sys.executable,
            str(MANAGE),
            "run_beat",
            "--poll",
            "0.5",
            "--",
            sys.executable,
            "-c",
            FAKE_BEAT,
            name,
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        env=env,
    )


def _wait_for(log: Path, text: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        content = log.read_text()
        if text in content:
            return content
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not in {log.read_text()!r}")


def _gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_one_beat_runs_and_a_standby_takes_over_when_it_dies(tmp_path):
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _start("first", first_log)
    second = None
    try:
        started = _wait_for(first_log, "beat first")
        beat_pid = int(re.search(r"started beat \(pid (\d+)\)", started).group(1))
        second = _start("second", second_log)
        _wait_for(second_log, "waiting")
        time.sleep(2)  # four polls: still waiting, its beat never started
        assert "beat second" not in second_log.read_text()

        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
        assert _gone(beat_pid), "the first wrapper left its beat running"
        took_over = time.monotonic()
        _wait_for(second_log, "beat second", seconds=15)
        assert time.monotonic() - took_over < 5
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


def test_a_killed_holder_releases_the_lock(tmp_path):
    """kill -9 (a host that dies): PostgreSQL drops the connection and the lock with it."""
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    first = _start("first", first_log)
    second = None
    try:
        started = _wait_for(first_log, "beat first")
        beat_pid = int(re.search(r"started beat \(pid (\d+)\)", started).group(1))
        second = _start("second", second_log)
        _wait_for(second_log, "waiting")
        first.kill()
        first.wait(timeout=30)
        os.kill(beat_pid, signal.SIGKILL)  # the whole host is gone: its beat too
        _wait_for(second_log, "beat second", seconds=15)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=30)
