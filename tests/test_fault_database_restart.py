"""Fault: PostgreSQL restarts during traffic. Requests fail fast with 503 during the outage and
succeed again after it, without restarting gunicorn."""

import threading
import time

import pytest
from django.db import connection

from projects.models import Audit
from tests.live import LiveServer, TcpProxy, live_database_url


@pytest.mark.slow
@pytest.mark.postgresql  # a live gunicorn on the test database (tests/live.py)
def test_requests_fail_fast_with_503_during_a_database_outage_and_recover_after_it(
    transactional_db, collected_static, manager, project
):
    audit = Audit.objects.create(project=project, title="Backend audit", status="completed")
    settings_dict = connection.settings_dict
    proxy = TcpProxy(settings_dict["HOST"] or "127.0.0.1", int(settings_dict["PORT"] or 5432))
    proxy.start()
    pages = ["/maturity/", f"/projects/{project.slug}/", f"/audits/{audit.pk}/"]
    statuses: list[tuple[float, int, float]] = []  # (time, status, seconds)
    stop = threading.Event()

    try:
        with LiveServer(
            static_root=collected_static,
            broker_url="redis://127.0.0.1:9/0",
            database_url=live_database_url(port=proxy.port),
            workers=2,
        ) as server:
            server.login_as(manager)
            for path in pages * 2:
                assert server.get(path).status == 200
            master_pid = server.proc.pid

            def traffic():
                i = 0
                while not stop.is_set():
                    response = server.get(pages[i % len(pages)], timeout=30)
                    statuses.append((time.monotonic(), response.status, response.elapsed))
                    i += 1

            threads = [threading.Thread(target=traffic) for _ in range(3)]
            for t in threads:
                t.start()
            time.sleep(1.5)

            proxy.outage()  # PostgreSQL goes away: open connections cut, new ones refused
            outage_started = time.monotonic()
            time.sleep(4)
            during = [server.get(path) for path in pages]
            health = server.get("/healthz", anonymous=True)  # as a probe: no session cookie
            proxy.restore()  # PostgreSQL is back
            outage_ended = time.monotonic()
            time.sleep(2)
            after = [server.get(path) for path in pages * 2]
            stop.set()
            for t in threads:
                t.join()
            log = server.server_log()
            assert server.proc.poll() is None and server.proc.pid == master_pid
    finally:
        stop.set()
        proxy.stop()

    for response in during:
        assert response.status == 503, response.text[:500]
        assert response.headers["retry-after"] == "5"
        assert response.elapsed < 5, "fails fast, does not hang"
        assert "database is not answering" in response.text
    assert health.status == 503
    assert '"database": "unavailable"' in health.text
    assert [r.status for r in after] == [200] * len(after), log[-3000:]
    # The background traffic saw only 200s and fast 503s: never a 500, never a hang.
    assert {status for _, status, _ in statuses} <= {200, 503}, log[-3000:]
    assert max(seconds for _, _, seconds in statuses) < 10
    assert any(s == 503 for t, s, _ in statuses if outage_started < t < outage_ended)
    assert any(s == 200 for t, s, _ in statuses if t > outage_ended + 2)
    # No worker was restarted: gunicorn's workers reconnected by themselves.
    assert log.count("Booting worker") <= 2
