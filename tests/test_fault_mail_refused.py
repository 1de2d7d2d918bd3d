"""Fault: the mail server refuses. Reminders record the failure, and the next run retries."""

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem, ReminderDelivery
from conftest import make_user
from tests.live import ROOT, live_database_url
from tests.smtp_server import SmtpServer


def send_reminders(smtp_port: int) -> subprocess.CompletedProcess:
    """The reminder run as production runs it: a separate process configured by EMAIL_URL."""
    env = {
        **os.environ,
        "DATABASE_URL": live_database_url(),
        "DEBUG": "false",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": "5",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "send_checklist_reminders"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
@pytest.mark.postgresql  # a live gunicorn on the test database (tests/live.py)
def test_a_refusing_mail_server_is_recorded_and_the_next_run_delivers(transactional_db, project):
    owner = make_user("owner-of-checklist")
    checklist = Checklist.objects.create(
        project=project,
        owner=owner,
        title="Go-live checklist",
        due_date=timezone.localdate() - dt.timedelta(days=2),
    )
    ChecklistItem.objects.create(checklist=checklist, text="Backups restored once", state="todo")

    refusing = SmtpServer(refuse=True)
    try:
        first = send_reminders(refusing.port)
    finally:
        refusing.close()

    assert first.returncode != 0
    assert "failed; the next run retries them" in first.stderr
    delivery = ReminderDelivery.objects.get(owner=owner)
    assert delivery.status == ReminderDelivery.Status.FAILED
    assert "554" in delivery.error and "refused" in delivery.error.lower()
    assert delivery.attempts == 1

    accepting = SmtpServer(refuse=False)
    try:
        second = send_reminders(accepting.port)
    finally:
        accepting.close()

    assert second.returncode == 0, second.stderr
    delivery.refresh_from_db()
    assert delivery.status == ReminderDelivery.Status.SENT
    assert delivery.attempts == 2 and delivery.error == ""
    assert [entry["outcome"] for entry in delivery.attempt_log] == ["failed", "sent"]
    assert len(accepting.messages) == 1
    assert b"Go-live checklist" in accepting.messages[0]

    # A third run the same day sends nothing more.
    third_server = SmtpServer(refuse=False)
    try:
        third = send_reminders(third_server.port)
    finally:
        third_server.close()
    assert third.returncode == 0
    assert third_server.messages == []
