"""Two runs at the same moment (two beats, a retried task, two workers) never send twice.

Real threads, each with its own PostgreSQL connection, against committed data.
"""

import threading

import pytest
from django.core import mail
from django.db import connections

from checklists.models import ReminderDelivery
from checklists.services import reminders_send
from conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.postgresql  # concurrent writers: SQLite serialises the whole database
def test_concurrent_runs_send_each_owner_exactly_one_digest(project, make_checklist, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    owners = [make_user(f"owner{i}") for i in range(12)]
    for owner in owners:
        make_checklist(project, owner=owner, due_in_days=-1)
        make_checklist(project, owner=owner, due_in_days=2)
    mail.outbox = []
    start = threading.Barrier(4)
    runs, errors = [], []

    def run():
        try:
            start.wait()
            runs.append(reminders_send())
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(o.email for o in owners), "each owner exactly once"
    assert sum(len(r.sent) for r in runs) == 12
    assert set(ReminderDelivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert ReminderDelivery.objects.count() == 12
