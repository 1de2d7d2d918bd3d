"""Spreadsheet triage import benchmark: a 5,000-row sheet through FindingResource.

    .venv/bin/python bench/bench_triage.py [--rows 5000]

Needs PostgreSQL (DATABASE_URL); it works in a scratch database (<name>_bench_triage) that it
creates and drops. One project of --rows findings; the sheet sets a new status and an assignee
on every row and leaves one row in ten unchanged (those are skipped). It runs the import as the
upload job's worker does (preview, then import, each in one transaction) and prints, for each,
the wall time, the SQL statements in all and per row, and the statements by kind. The import's
audit trail (before -> after of each changed finding) is checked.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "auditor.settings")


def seed(rows: int):
    from django.contrib.auth.models import Group, User

    from findings.models import Finding
    from projects import access
    from projects.models import Project

    lead = User.objects.create_user("bench-lead")
    lead.groups.add(Group.objects.get(name=access.TECH_LEAD))
    for i in range(5):
        User.objects.create_user(f"dev{i}")
    project = Project.objects.create(name="Triage bench", slug="triage-bench", tech_lead=lead)
    Finding.objects.bulk_create(
        Finding(project=project, title=f"Finding {i}", fingerprint=f"fp-{i}", tool="bandit", rule_id="B101")
        for i in range(rows)
    )
    ids = list(Finding.objects.filter(project=project).order_by("pk").values_list("pk", flat=True))
    lines = ["id,status,assignee"]
    for n, pk in enumerate(ids):
        lines.append(f"{pk},open," if n % 10 == 0 else f"{pk},in_progress,dev{n % 5}")
    return lead, "\n".join(lines).encode()


def kind(sql: str) -> str:
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.I)
    return f"{verb} {table.group(1) if table else ''}".strip()


def run(lead, content: bytes, *, dry_run: bool) -> dict:
    from django.db import connection, transaction

    from findings.resources import FindingResource
    from findings.triage_jobs import read_sheet

    dataset = read_sheet(content, "csv")
    kinds: collections.Counter[str] = collections.Counter()

    def count(execute, sql, params, many, context):
        kinds[kind(sql)] += 1
        return execute(sql, params, many, context)

    started = time.perf_counter()
    with connection.execute_wrapper(count), transaction.atomic():
        result = FindingResource(user=lead).import_data(
            dataset, dry_run=dry_run, raise_errors=False, user=lead
        )
    elapsed = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors(), list(result.row_errors())[:3]
    total = sum(kinds.values())
    return {
        "seconds": elapsed,
        "queries": total,
        "rows": len(dataset),
        "kinds": kinds,
        "totals": result.totals,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench_triage needs PostgreSQL: set DATABASE_URL=postgres://...")
    old_name = settings.DATABASES["default"]["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{old_name}_bench_triage"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    settings.DEBUG = False
    try:
        from auditlog.models import LogEntry

        from findings.models import Finding

        lead, content = seed(args.rows)
        for label, dry_run in (("preview", True), ("import", False)):
            out = run(lead, content, dry_run=dry_run)
            top = ", ".join(f"{k} {v}" for k, v in out["kinds"].most_common(8))
            print(
                f"{label}: {out['rows']} rows in {out['seconds']:.1f} s, {out['queries']} queries "
                f"({out['queries'] / out['rows']:.2f} per row); totals {dict(out['totals'])}"
            )
            print(f"  by kind: {top}")
        changed = Finding.objects.filter(status="in_progress").count()
        logged = LogEntry.objects.filter(content_type__model="finding", action=LogEntry.Action.UPDATE)
        sample = logged.order_by("pk").first()
        print(f"trail: {logged.count()} update entries for {changed} changed findings; one: {sample.changes}")
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"load average: {load}")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
