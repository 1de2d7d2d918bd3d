"""Dispatcher benchmark: one night of scheduled re-scans at 100, 1,000 and 10,000 projects.

    .venv/bin/python bench/bench_dispatch.py [--projects 100 1000 10000] [--batch 500]

Needs PostgreSQL (DATABASE_URL); works in a scratch database (test_<name>_dispatch) that it
creates and drops. The re-scan tasks go to an in-memory broker (nothing reaches a real queue,
no worker runs). For each size, every project is scheduled "0 2 * * *" and created in bulk,
without a due time (as an import or a SQL script leaves them); then it prints the wall time and
the number of SQL queries of:
  - the first pass, which arms them (due time = 02:00 + the project's jitter);
  - every pass of the night, one a minute from 02:00 until all are queued: how many projects
    each pass claimed (the spread the jitter gives) and its queries.
The point: a pass costs the same number of queries at 100 and at 10,000 projects, and the
night starts with a few hundred re-scans a minute, not all of them at 02:00.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")
os.environ.setdefault("SECRET_KEY", "insecure-key-for-benchmarks-only")
NIGHT = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


def timed(func):  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = func()
        elapsed = time.perf_counter() - started
    return result, elapsed * 1000, len(queries)


def run_size(projects: int, batch: int) -> None:
    from django.db import connection

    from projects.models import Audit, Project
    from rescans import dispatcher

    with connection.cursor() as cursor:  # quick reset between sizes
        cursor.execute("TRUNCATE rescans_rescanrun, projects_audit, projects_project CASCADE")
    Project.objects.bulk_create(
        [
            Project(
                name=f"Service {i:05d}",
                slug=f"service-{i:05d}",
                repository_url=f"https://git.example.com/service-{i:05d}.git",
                scan_schedule="0 2 * * *",
            )
            for i in range(projects)
        ],
        batch_size=2000,
    )
    print(f"{projects} projects scheduled '0 2 * * *', created in bulk without a due time")
    evening = NIGHT - dt.timedelta(hours=3)
    arming = []
    while sum(a[0] for a in arming) < projects:
        got, ms, queries = timed(lambda: dispatcher.arm_unscheduled(now=evening, limit=batch))
        arming.append((len(got), ms, queries))
    print(
        f"  arming: {projects} due times set in {len(arming)} passes; per pass: at most "
        f"{max(a[0] for a in arming)} armed, {min(a[2] for a in arming)}-{max(a[2] for a in arming)} "
        f"queries, {max(a[1] for a in arming):.0f} ms at most"
    )
    minute, queued, per_pass = 0, 0, []
    while queued < projects and minute < 24 * 60:
        now = NIGHT + dt.timedelta(minutes=minute, seconds=30)
        claimed, ms, queries = timed(lambda now=now: dispatcher.dispatch_due(now=now, limit=batch))
        queued += len(claimed)
        per_pass.append((len(claimed), ms, queries))
        minute += 1
    busy = [p for p in per_pass if p[0]]
    print(
        f"  night: {queued} re-scans queued in {len(busy)} passes (02:00 to 02:{minute - 1:02d}); "
        f"per pass: at most {max(p[0] for p in busy)} claimed, "
        f"{min(p[2] for p in busy)}-{max(p[2] for p in busy)} queries, "
        f"{max(p[1] for p in busy):.0f} ms at most, {sum(p[1] for p in busy) / len(busy):.0f} ms mean"
    )
    idle = [p for p in per_pass if not p[0]]
    if idle:
        print(f"  a pass with nothing due: {idle[0][2]} queries, {idle[0][1]:.1f} ms")
    assert Audit.objects.count() == projects


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--projects", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--batch", type=int, default=None, help="SCAN_DISPATCH_BATCH (default: the setting)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    from auditor.celery import app

    if connection.vendor != "postgresql":
        sys.exit("bench_dispatch needs PostgreSQL: set DATABASE_URL=postgres://...")
    setup_test_environment()
    app.conf.broker_url = app.conf.broker_write_url = "memory://"
    batch = args.batch or settings.SCAN_DISPATCH_BATCH
    print(f"batch {batch} per pass, jitter window {settings.SCAN_JITTER_SECONDS} s")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = (
        f"test_{settings.DATABASES['default']['NAME']}_dispatch"
    )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        for size in args.projects:
            run_size(size, batch)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
