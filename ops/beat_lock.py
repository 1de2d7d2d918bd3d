"""One beat per installation, whatever the number of hosts that start one: beat runs only while
its wrapper holds a PostgreSQL advisory lock.

`run_single` takes `pg_try_advisory_lock(BEAT_LOCK_KEY)` on a connection of its own; while
another process holds it, it waits (polling). Holding it, it starts beat as a child process and
checks every `poll` seconds that beat is alive and that the lock's connection still answers.
When the host holding the lock dies, PostgreSQL drops its connection and with it the lock, so a
standby wrapper on another host starts its beat within `poll` seconds (plus the TCP keepalive
time when the network, not the host, failed). A wrapper that loses its connection stops its beat
and goes back to waiting. A short overlap (at most `poll` seconds) can send a periodic task
twice, which every periodic task of auditor tolerates (they claim their rows).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg

# "auditor beat" as a 63-bit number: the advisory lock's key, the same on every host.
BEAT_LOCK_KEY = int.from_bytes(b"adtrbeat", "big") >> 1
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}


class _Stop(Exception):
    pass


def connection_params(settings_dict: dict[str, Any]) -> dict[str, Any]:
    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
        "connect_timeout": 5,
        **KEEPALIVE,
    }
    return {k: v for k, v in params.items() if v is not None}


def _lock(params: dict[str, Any]) -> psycopg.Connection | None:
    """A connection holding the lock, or None (the lock is held elsewhere, or no database)."""
    try:
        conn = psycopg.connect(autocommit=True, application_name="auditor beat lock", **params)
    except psycopg.Error:
        return None
    try:
        row = conn.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY]).fetchone()
    except psycopg.Error:
        conn.close()
        return None
    if row and row[0]:
        return conn
    conn.close()
    return None


def _alive(conn: psycopg.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return not conn.closed


def _stop(child: subprocess.Popen, grace: float = 20) -> int:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return child.returncode


def run_single(
    argv: Sequence[str], *, params: dict[str, Any], poll: float = 5.0, say: Callable[[str], None] = print
) -> int:
    """Run `argv` (beat) only while holding the lock; returns beat's exit status. SIGTERM and
    SIGINT stop beat and return."""

    def stop(_signum: int, _frame: object) -> None:
        raise _Stop

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    child: subprocess.Popen | None = None
    waiting_said = False
    try:
        while True:
            conn = _lock(params)
            if conn is None:
                if not waiting_said:
                    say("another beat holds the lock (or the database does not answer): waiting")
                    waiting_said = True
                time.sleep(poll)
                continue
            waiting_said = False
            try:
                child = subprocess.Popen(list(argv))  # noqa: S603 (an argument list, no shell)
                say(f"holding the beat lock: started beat (pid {child.pid})")
                while True:
                    try:
                        return child.wait(timeout=poll)
                    except subprocess.TimeoutExpired:
                        pass
                    if not _alive(conn):
                        say("lost the database connection (and the lock): stopping beat")
                        _stop(child)
                        child = None
                        break
            finally:
                conn.close()
    except _Stop:
        if child is not None:
            _stop(child)  # asked to stop: beat stopped by us is a clean end
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
