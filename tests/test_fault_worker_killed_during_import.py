"""Fault: the gunicorn worker serving a CI upload is killed in the middle of the import. The
import's transaction rolls back: no finding and no audit metric of it remains; its import run,
recorded before the import began, is marked failed by the sweep; and the next upload is served
by the replacement worker."""

import http.client
import json
import os
import signal
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from findings.models import Finding, ImportRun
from findings.services.scan_queue import import_runs_sweep_abandoned
from findings.services.tokens import api_token_create
from tests.live import LiveServer, live_database_url

APPLICATION_NAME = "auditor-fault-killed-import"


def sarif_report(results: int) -> bytes:
    return json.dumps(
        {
            "version": "2.1.0",
            "runs": [
                {
                    "tool": {"driver": {"name": "semgrep", "rules": []}},
                    "results": [
                        {
                            "ruleId": f"rule-{i % 50}",
                            "level": "error",
                            "message": {"text": f"Finding number {i}"},
                            "locations": [
                                {
                                    "physicalLocation": {
                                        "artifactLocation": {"uri": f"src/module_{i}.py"},
                                        "region": {"startLine": i + 1},
                                    }
                                }
                            ],
                        }
                        for i in range(results)
                    ],
                }
            ],
        }
    ).encode()


def multipart(content: bytes) -> tuple[bytes, str]:
    boundary = "auditorfaulttestboundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.sarif"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def long_import_transaction_backend() -> int | None:
    """The server's database session that has held one transaction open for a while."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s AND xact_start IS NOT NULL"
            " AND now() - xact_start > interval '300 milliseconds'",
            [APPLICATION_NAME],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


@pytest.mark.slow
@pytest.mark.postgresql  # a live gunicorn on the test database (tests/live.py)
def test_a_worker_killed_mid_import_leaves_no_partial_import_and_a_failed_run(
    transactional_db, collected_static, project
):
    _token, raw = api_token_create(project=project, name="CI")
    body, content_type = multipart(sarif_report(30000))
    url = live_database_url() + f"?application_name={APPLICATION_NAME}"

    with LiveServer(
        static_root=collected_static,
        database_url=url,
        broker_url="redis://127.0.0.1:9/0",
        workers=1,
        GUNICORN_TIMEOUT="120",
    ) as server:
        [worker] = worker_pids(server.proc.pid)
        outcome = {}

        def upload():
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            try:
                conn.request(
                    "POST",
                    f"/api/projects/{project.slug}/scans/",
                    body=body,
                    headers={
                        "Host": "127.0.0.1",
                        "Authorization": f"Bearer {raw}",
                        "Content-Type": content_type,
                    },
                )
                outcome["status"] = conn.getresponse().status
            except (OSError, http.client.HTTPException) as exc:
                outcome["error"] = type(exc).__name__
            finally:
                conn.close()

        # Hold the project's row lock, which an import takes first thing in its transaction:
        # the import then sits inside its open transaction until the worker is killed, however
        # fast the machine is.
        with psycopg.connect(live_database_url()) as locker:
            locker.execute("SELECT id FROM projects_project WHERE id = %s FOR UPDATE", [project.pk])
            sender = threading.Thread(target=upload)
            sender.start()
            deadline = time.monotonic() + 90
            backend = None
            while backend is None and time.monotonic() < deadline and sender.is_alive():
                backend = long_import_transaction_backend()
                time.sleep(0.05)
            assert backend is not None, (
                "the import never reached its write transaction",
                outcome,
                server.server_log()[-2000:],
            )

            os.kill(worker, signal.SIGKILL)  # the worker dies with the transaction open
            locker.rollback()  # let the orphaned session run into its dead client
        sender.join(timeout=30)
        deadline = time.monotonic() + 30
        while backend_alive(backend) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not backend_alive(backend), "PostgreSQL ended the dead worker's session"

        assert "status" not in outcome or outcome["status"] >= 500, outcome
        assert Finding.objects.filter(project=project).count() == 0
        [killed] = ImportRun.objects.filter(project=project)
        assert killed.status == ImportRun.Status.RUNNING  # what the dead process left
        assert import_runs_sweep_abandoned(older_than_seconds=0) == 1
        killed.refresh_from_db()
        assert killed.status == ImportRun.Status.FAILED and "Abandoned" in killed.error_message

        # gunicorn replaced the worker; the next upload is imported whole.
        small_body, small_type = multipart(sarif_report(3))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
            try:
                conn.request(
                    "POST",
                    f"/api/projects/{project.slug}/scans/",
                    body=small_body,
                    headers={
                        "Host": "127.0.0.1",
                        "Authorization": f"Bearer {raw}",
                        "Content-Type": small_type,
                    },
                )
                status = conn.getresponse().status
                break
            except OSError:
                time.sleep(0.5)
            finally:
                conn.close()
        assert status == 201
        assert worker_pids(server.proc.pid) != [worker]

    assert Finding.objects.filter(project=project).count() == 3
    assert list(
        ImportRun.objects.filter(project=project).order_by("pk").values_list("status", flat=True)
    ) == ["failed", "succeeded"]
