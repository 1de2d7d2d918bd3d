"""The daily digest: one e-mail per owner with the right checklists, at most once a day,
failures recorded and retried by the next run."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from checklists.models import ReminderDelivery
from checklists.services import reminders_send
from conftest import make_user


@pytest.fixture
def owners(db):
    return make_user("alice"), make_user("bob"), make_user("carol")


@pytest.fixture
def due_checklists(owners, project, other_project, make_checklist):
    alice, bob, carol = owners
    return {
        "alice-late": make_checklist(
            project, owner=alice, title="Alice late", due_in_days=-3, items=[("todo", True), ("done", False)]
        ),
        "alice-soon": make_checklist(other_project, owner=alice, title="Alice soon", due_in_days=7),
        "alice-later": make_checklist(project, owner=alice, title="Alice later", due_in_days=8),
        "alice-done": make_checklist(
            project, owner=alice, title="Alice done", due_in_days=-1, items=[("done", False), ("na", False)]
        ),
        "bob-today": make_checklist(project, owner=bob, title="Bob today", due_in_days=0),
        "carol-far": make_checklist(project, owner=carol, title="Carol far", due_in_days=30),
        "nobody": make_checklist(project, owner=None, title="Unowned", due_in_days=-5),
    }


def test_each_owner_gets_one_digest_listing_their_due_and_overdue_checklists(
    due_checklists, owners, mailoutbox, settings
):
    settings.SITE_URL = "https://auditor.example.com"
    alice, bob, carol = owners

    run = reminders_send()

    assert sorted(m.to[0] for m in mailoutbox) == [alice.email, bob.email]
    to_alice = next(m for m in mailoutbox if m.to == [alice.email])
    assert "Alice late" in to_alice.body and "Alice soon" in to_alice.body
    assert "Alice later" not in to_alice.body, "due in 8 days is beyond the 7-day horizon"
    assert "Alice done" not in to_alice.body, "no open item left"
    assert "OVERDUE" in to_alice.body and "3 days late" in to_alice.body
    assert to_alice.subject.startswith("1 overdue, 1 due soon")
    late = due_checklists["alice-late"]
    link = f"https://auditor.example.com/admin/checklists/checklist/{late.pk}/change/"
    assert link in to_alice.body
    html, mimetype = to_alice.alternatives[0]
    assert mimetype == "text/html" and f'href="{link}"' in html
    assert sorted(run.sent) == sorted([alice.pk, bob.pk])
    assert set(ReminderDelivery.objects.values_list("owner__username", "status", "checklist_count")) == {
        ("alice", "sent", 2),
        ("bob", "sent", 1),
    }


def test_nothing_is_sent_to_an_owner_with_nothing_due(owners, project, make_checklist, mailoutbox):
    make_checklist(project, owner=owners[2], due_in_days=30)
    make_checklist(project, owner=owners[1], due_in_days=-2, items=[("done", False)])
    run = reminders_send()
    assert mailoutbox == []
    assert run.sent == [] and not ReminderDelivery.objects.exists()


def test_the_second_run_of_the_same_day_sends_nothing(due_checklists, mailoutbox):
    reminders_send()
    first = len(mailoutbox)
    run = reminders_send()
    assert len(mailoutbox) == first == 2
    assert run.sent == [] and len(run.skipped) == 2
    assert set(ReminderDelivery.objects.values_list("attempts", flat=True)) == {1}


def test_the_next_day_sends_again(due_checklists, mailoutbox):
    today = timezone.localdate()
    reminders_send(today=today)
    reminders_send(today=today + dt.timedelta(days=1))
    assert len(mailoutbox) == 4
    assert ReminderDelivery.objects.filter(status="sent").count() == 4


def test_a_failed_send_is_recorded_then_retried_by_the_next_run(due_checklists, owners, settings, mailoutbox):
    # A real SMTP backend pointed at a port nobody listens on: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    failed_run = reminders_send()

    assert len(failed_run.failed) == 2 and failed_run.sent == []
    failures = ReminderDelivery.objects.filter(status="failed")
    assert failures.count() == 2
    assert all("ConnectionRefusedError" in f.error or "Errno" in f.error for f in failures)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retry = reminders_send()

    assert len(retry.sent) == 2 and len(mailoutbox) == 2
    assert set(ReminderDelivery.objects.values_list("status", "attempts", "error")) == {("sent", 2, "")}
    log = ReminderDelivery.objects.get(owner=owners[0]).attempt_log
    assert [entry["outcome"] for entry in log] == ["failed", "sent"]
    assert "Errno" in log[0]["error"] or "Refused" in log[0]["error"]


def test_an_inactive_owner_or_one_without_email_gets_nothing(project, make_checklist, mailoutbox):
    gone = make_user("gone", is_active=False)
    mute = make_user("mute")
    User.objects.filter(pk=mute.pk).update(email="")
    make_checklist(project, owner=gone, due_in_days=-1)
    make_checklist(project, owner=mute, due_in_days=-1)
    reminders_send()
    assert mailoutbox == []


def test_a_dry_run_lists_the_plan_and_sends_or_records_nothing(due_checklists, owners, mailoutbox):
    alice, bob, _ = owners
    run = reminders_send(dry_run=True)
    assert set(run.planned) == {alice.pk, bob.pk}
    assert [c.title for c in run.planned[alice.pk]] == ["Alice late", "Alice soon"]
    assert mailoutbox == [] and not ReminderDelivery.objects.exists()


def test_the_run_uses_a_constant_number_of_queries_plus_one_per_owner(
    owners, project, make_checklist, mailoutbox, django_assert_max_num_queries
):
    for _ in range(3):
        make_checklist(project, owner=owners[0], due_in_days=1)
    # 10 for the checklists, and one per digest section of other apps (exceptions expiring,
    # SLA breaches, comments on watched findings).
    with django_assert_max_num_queries(13) as small:
        reminders_send(today=timezone.localdate())
    for _ in range(40):
        make_checklist(project, owner=owners[0], due_in_days=1, items=[("todo", True)] * 5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        reminders_send(today=timezone.localdate() + dt.timedelta(days=1))
    assert len(mailoutbox) == 2 and mailoutbox[1].body.count("/change/") == 43


def test_a_delivery_stuck_in_claimed_is_sent_again_only_once_an_admin_releases_it(
    due_checklists, owners, mailoutbox, client, admin, manager
):
    from django.urls import reverse

    alice = owners[0]
    ReminderDelivery.objects.create(owner=alice, day=timezone.localdate(), status="claimed", attempts=1)
    reminders_send()
    assert [m.to for m in mailoutbox] == [[owners[1].email]], "a stuck claim is not resent"

    url = reverse("admin:checklists_reminderdelivery_changelist")
    stuck = ReminderDelivery.objects.get(owner=alice)
    client.force_login(manager)
    client.post(url, {"action": "release_for_retry", "_selected_action": [stuck.pk]})
    stuck.refresh_from_db()
    assert stuck.status == "claimed"

    client.force_login(admin)
    client.post(url, {"action": "release_for_retry", "_selected_action": [stuck.pk]})
    stuck.refresh_from_db()
    assert stuck.status == "failed" and "Released for retry by root" in stuck.error

    reminders_send()
    assert [m.to for m in mailoutbox][-1] == [alice.email] and len(mailoutbox) == 2
