"""The triage import reads the file's findings and users once, not once per row: its queries
grow only by the writes of each changed finding (its savepoint, update and trail entry)."""

from __future__ import annotations

import collections
import re

import pytest
import tablib
from auditlog.models import LogEntry
from django.contrib.auth.models import User
from django.db import connection, transaction

from findings.models import Finding
from findings.resources import FindingResource


def _import(user, findings, *, dry_run=False) -> collections.Counter:
    sheet = tablib.Dataset(headers=["id", "status", "assignee"])
    for n, finding in enumerate(findings):
        sheet.append([str(finding.pk), "in_progress", f"dev{n % 3}"])
    counts: collections.Counter[str] = collections.Counter()

    def count(execute, sql, params, many, context):
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"(\w+)"', sql)
        counts[f"{sql.split(None, 1)[0].upper()} {table.group(1) if table else ''}".strip()] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count), transaction.atomic():
        result = FindingResource(user=user).import_data(sheet, dry_run=dry_run, raise_errors=False, user=user)
    assert not result.has_errors() and not result.has_validation_errors()
    return counts


@pytest.mark.django_db
def test_lookups_do_not_grow_with_the_rows(tech_lead, project):
    for i in range(3):
        User.objects.create_user(f"dev{i}")
    findings = Finding.objects.bulk_create(
        Finding(project=project, title=f"F{i}", fingerprint=f"fp-{i}") for i in range(30)
    )

    small = _import(tech_lead, findings[:10])
    large = _import(tech_lead, findings[10:30])

    # One query for the users whatever the rows; the findings: one prefetch, then the trail's
    # own read of each saved finding's previous values.
    assert small["SELECT auth_user"] == large["SELECT auth_user"]
    assert small["SELECT findings_finding"] == 1 + 10 and large["SELECT findings_finding"] == 1 + 20
    assert large["UPDATE findings_finding"] == 20
    # The trail still records before -> after for every changed finding.
    entries = LogEntry.objects.filter(content_type__model="finding", action=LogEntry.Action.UPDATE)
    assert entries.count() == 30
    change = entries.get(object_pk=str(findings[15].pk)).changes_dict
    assert change["status"] == ["open", "in_progress"] and change["assignee"][0] == "None"
