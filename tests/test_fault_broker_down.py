"""Fault: the broker is down. Pages still render; "Re-scan now" answers with a clear message."""

import pytest

from projects.models import Audit
from tests.live import LiveServer, live_database_url

DEAD_BROKER = "redis://127.0.0.1:9/0"  # port 9 (discard): nothing listens on loopback


@pytest.mark.slow
@pytest.mark.postgresql  # a live gunicorn on the test database (tests/live.py)
def test_pages_render_and_rescan_now_explains_when_the_broker_is_down(
    transactional_db, collected_static, tech_lead, project
):
    project.repository_url = "https://example.com/champion.git"
    project.save()
    audit = Audit.objects.create(project=project, title="Backend audit", status="completed")

    with LiveServer(
        static_root=collected_static, database_url=live_database_url(), broker_url=DEAD_BROKER
    ) as server:
        health = server.get("/healthz")
        assert health.status == 503
        assert '"broker": "unavailable"' in health.text

        server.login_as(tech_lead)
        for path in ("/maturity/", f"/projects/{project.slug}/", f"/audits/{audit.pk}/"):
            page = server.get(path)
            assert page.status == 200, (path, page.status, server.server_log()[-2000:])

        token = server.csrf_token(server.get("/admin/projects/project/").text)
        response = server.post(
            f"/projects/{project.slug}/rescan/", {"csrfmiddlewaretoken": token}, timeout=30
        )
        assert response.status == 302, (response.status, server.server_log()[-3000:])
        assert response.elapsed < 15
        page = server.get(response.headers["location"])

    assert page.status == 200
    assert page.text.count("Re-scan could not be started: the task queue is unavailable") == 1
    # Nothing is left "running": the next click will try again instead of "already running".
    assert not Audit.objects.filter(project=project, status=Audit.Status.IN_PROGRESS).exists()
