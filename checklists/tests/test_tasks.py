"""The beat schedule and the Celery task, including two real worker processes at once."""

import pathlib

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask

from auditor.testing import running_celery_worker, wait_until
from checklists.models import ReminderDelivery
from checklists.tasks import send_reminders
from conftest import make_user


def test_a_data_migration_schedules_the_digest_daily_at_eight_in_the_time_zone(db):
    task = PeriodicTask.objects.get(name="checklist-reminders-daily")
    assert task.task == "checklists.send_reminders" and task.enabled
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("0", "8", "*")
    assert str(crontab.timezone) == settings.TIME_ZONE


def test_the_task_sends_the_digest_and_reports_what_it_did(project, make_checklist, mailoutbox):
    make_checklist(project, owner=make_user("erin"), due_in_days=1)
    summary = send_reminders.apply().get()
    assert "sent 1" in summary and len(mailoutbox) == 1


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_tasks_on_two_worker_processes_send_each_owner_one_digest(project, make_checklist, tmp_path):
    owners = [make_user(f"w{i}") for i in range(8)]
    for owner in owners:
        make_checklist(project, owner=owner, due_in_days=-1)
    outbox = pathlib.Path(tmp_path)
    # Four slashes: django-environ reads "filemail:///x" as the relative path "x".
    email_url = f"filemail:///{outbox}"
    with running_celery_worker(concurrency=2, extra_env={"EMAIL_URL": email_url}) as w:
        for _ in range(2):
            send_reminders.delay()
        done = wait_until(lambda: ReminderDelivery.objects.filter(status="sent").count() == 8, timeout=90)
        assert done, getattr(w, "output", "")
    messages = "".join(p.read_text() for p in outbox.iterdir())
    recipients = sorted(line[4:] for line in messages.splitlines() if line.startswith("To: "))
    assert recipients == sorted(o.email for o in owners), (list(outbox.iterdir()), w.output[-3000:])
    assert set(ReminderDelivery.objects.values_list("attempts", flat=True)) == {1}
