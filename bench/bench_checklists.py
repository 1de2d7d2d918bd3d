"""Checklist benchmark: the reminder run and the checklist changelist at 10,000 checklists.

    .venv/bin/python bench/bench_checklists.py [--checklists 1000 10000] [--items 20] [--owners 50]

Needs PostgreSQL (DATABASE_URL); works in a scratch database (test_<name>_checklists) that it
creates and drops, so it never touches real data. For each size (default 1,000 then 10,000
checklists of 20 items = 200,000 items, spread over 50 owners and 100 projects, due dates from
10 days ago to 30 days ahead) it prints the wall time and the number of SQL queries of:
  - a dry run of the reminders (selection only),
  - the real reminder run (claims, digests rendered and sent to the in-memory e-mail backend),
  - the same run again on the same day (everything already claimed: sends nothing),
  - the checklist admin changelist, unfiltered and filtered on overdue, as admin and tech lead.
The point: query counts do not grow with the number of checklists (the reminder run adds one
UPDATE per owner it sends to, not per checklist).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")
os.environ.setdefault("SECRET_KEY", "insecure-key-for-benchmarks-only")


def measure(label: str, func) -> object:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
    print(f"  {label:<44} {elapsed * 1000:9.1f} ms  queries={len(queries)}", flush=True)
    return result


def seed(*, checklists: int, items: int, owners: int, projects: int) -> None:
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from checklists.models import Checklist, ChecklistItem, ItemState, ReminderDelivery
    from projects import access
    from projects.models import MaturityDomain, Project

    rng = random.Random(4)
    ReminderDelivery.objects.all().delete()
    with connection.cursor() as cursor:  # quick reset between sizes
        cursor.execute(
            "TRUNCATE checklists_checklistitemhistory, checklists_checklistitem, checklists_checklist CASCADE"
        )
    lead_group = Group.objects.get(name=access.TECH_LEAD)
    people = list(User.objects.filter(username__startswith="bench-owner-"))
    for i in range(len(people), owners):
        user = User.objects.create_user(f"bench-owner-{i}", f"owner{i}@example.com", is_staff=True)
        user.groups.add(lead_group)
        people.append(user)
    portfolio = list(Project.objects.filter(slug__startswith="bench-"))
    for i in range(len(portfolio), projects):
        portfolio.append(
            Project.objects.create(name=f"Bench {i}", slug=f"bench-{i}", tech_lead=people[i % owners])
        )
    domains = list(MaturityDomain.objects.all())
    today = dt.date.today()
    created = []
    for start in range(0, checklists, 2000):
        created += Checklist.objects.bulk_create(
            Checklist(
                project=portfolio[i % projects],
                owner=people[i % owners],
                title=f"Checklist {i}",
                due_date=today + dt.timedelta(days=rng.randint(-10, 30)),
            )
            for i in range(start, min(start + 2000, checklists))
        )
    states = [ItemState.DONE, ItemState.TODO, ItemState.TODO, ItemState.NOT_APPLICABLE]
    batch = []
    for checklist in created:
        # A quarter of the checklists are finished: they must not be reminded.
        finished = rng.random() < 0.25
        for order in range(items):
            state = ItemState.DONE if finished else rng.choice(states)
            batch.append(
                ChecklistItem(
                    checklist=checklist,
                    order=order,
                    section=f"Section {order // 5}",
                    text=f"Item {order}",
                    is_critical=order % 7 == 0,
                    domain=domains[order % len(domains)],
                    state=state,
                    note="n/a here" if state == ItemState.NOT_APPLICABLE else "",
                )
            )
        if len(batch) >= 20000:
            ChecklistItem.objects.bulk_create(batch, batch_size=5000)
            batch = []
    ChecklistItem.objects.bulk_create(batch, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE checklists_checklist; ANALYZE checklists_checklistitem")


def run_size(*, checklists: int, items: int, owners: int) -> None:
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.core import mail
    from django.test import Client
    from django.urls import reverse

    from checklists import services
    from checklists.models import ChecklistItem

    started = time.perf_counter()
    seed(checklists=checklists, items=items, owners=owners, projects=100)
    print(
        f"{checklists:,} checklists, {ChecklistItem.objects.count():,} items, {owners} owners "
        f"(seeded in {time.perf_counter() - started:.1f} s)",
        flush=True,
    )

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    day = dt.date.today()
    plan = measure("reminders, dry run", lambda: services.reminders_send(today=day, dry_run=True))
    run = measure("reminders, real run", lambda: services.reminders_send(today=day))
    listed = sum(len(c) for c in plan.planned.values())
    print(
        f"    -> {len(run.sent)} digests sent listing {listed:,} checklists; "
        f"{len(mail.outbox)} e-mails in the outbox",
        flush=True,
    )
    again = measure("reminders, second run same day", lambda: services.reminders_send(today=day))
    print(f"    -> {len(again.sent)} sent, {len(again.skipped)} already handled", flush=True)

    admin = User.objects.filter(username="bench-admin").first() or User.objects.create_superuser(
        "bench-admin", "admin@example.com", None
    )
    lead = User.objects.get(username="bench-owner-0")
    url = reverse("admin:checklists_checklist_changelist")
    for who, user in (("admin", admin), ("tech lead", lead)):
        client = Client()
        client.force_login(user)
        client.get(url, secure=True)  # warm caches (content types, permissions)
        for label, params in (("changelist", {}), ("changelist ?due=overdue", {"due": "overdue"})):
            response = measure(f"{label} as {who}", lambda p=params, c=client: c.get(url, p, secure=True))
            assert response.status_code == 200, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checklists", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--items", type=int, default=20, help="items per checklist")
    parser.add_argument("--owners", type=int, default=50)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings, setup_test_environment

    if connection.vendor != "postgresql":
        sys.exit("bench_checklists needs PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    # Pages render without collected static files: plain storage instead of the manifest.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        f"test_{settings.DATABASES['default']['NAME']}_checklists"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        for size in args.checklists:
            run_size(checklists=size, items=args.items, owners=args.owners)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
