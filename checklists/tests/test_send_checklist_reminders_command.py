import pytest
from django.core.management import CommandError, call_command

from checklists.models import ReminderDelivery
from conftest import make_user


@pytest.fixture
def due(project, make_checklist):
    owner = make_user("dora")
    make_checklist(project, owner=owner, title="Late one", due_in_days=-1)
    return owner


def test_dry_run_prints_who_would_get_what_and_sends_nothing(due, mailoutbox, capsys):
    call_command("send_checklist_reminders", "--dry-run")
    out = capsys.readouterr().out
    assert "dora <dora@example.com>:" in out and "Late one" in out and "OVERDUE" in out
    assert mailoutbox == [] and not ReminderDelivery.objects.exists()


def test_the_command_sends_once_per_day(due, mailoutbox, capsys):
    call_command("send_checklist_reminders")
    call_command("send_checklist_reminders")
    assert len(mailoutbox) == 1
    assert "already handled 1" in capsys.readouterr().out


def test_a_bad_date_is_refused_with_a_clear_message(db):
    with pytest.raises(CommandError, match="not a date in YYYY-MM-DD form"):
        call_command("send_checklist_reminders", "--date", "tomorrow")


def test_failures_make_the_command_fail(due, settings, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    with pytest.raises(CommandError, match="1 digest"):
        call_command("send_checklist_reminders")
    assert ReminderDelivery.objects.get().status == "failed"
