"""Findings closed as accepted risk or false positive before exceptions existed keep their
status: the migration gives each an approved legacy exception; an accepted risk expires
EXCEPTION_DEFAULT_EXPIRY_DAYS after the upgrade, and its finding's thread says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from governance.selectors import expiring_digest_lines


def _migrate(*, without_governance: bool):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    leaves = executor.loader.graph.leaf_nodes()
    if without_governance:
        executor.migrate([("governance", None)])
        executor.loader.build_graph()
        return executor.loader.project_state([n for n in leaves if n[0] != "governance"]).apps
    executor.migrate(leaves)
    executor.loader.build_graph()
    return executor.loader.project_state(leaves).apps


@pytest.mark.django_db(transaction=True)
def test_closed_findings_get_approved_legacy_exceptions_and_keep_their_status(settings, tech_lead):
    settings.EXCEPTION_DEFAULT_EXPIRY_DAYS = 30
    today = timezone.localdate()
    old = _migrate(without_governance=True)
    Project = old.get_model("projects", "Project")
    Finding = old.get_model("findings", "Finding")
    project = Project.objects.create(name="Legacy", slug="legacy", tech_lead_id=tech_lead.pk)
    statuses = ["open", "accepted_risk", "false_positive", "fixed", "in_progress"]
    for n, status in enumerate(statuses):
        Finding.objects.create(project=project, title=f"F{n}", fingerprint=f"f{n}", status=status)

    apps = _migrate(without_governance=False)

    PolicyException = apps.get_model("governance", "PolicyException")
    rows = sorted(
        PolicyException.objects.values_list(
            "finding__status", "reason", "state", "legacy", "justification", "expires_on", "requested_by"
        )
    )
    why = "Recorded before exceptions existed."
    expires_on = today + dt.timedelta(days=30)
    assert rows == [
        ("accepted_risk", "accepted_risk", "approved", True, why, expires_on, None),
        ("false_positive", "false_positive", "approved", True, why, None, None),  # no expiry needed
    ]
    FindingComment = apps.get_model("findings", "FindingComment")
    comments = list(FindingComment.objects.values_list("finding__title", "body"))
    assert len(comments) == 1 and comments[0][0] == "F1"
    assert f"now expires on {expires_on:%Y-%m-%d}, 30 days after the upgrade" in comments[0][1]
    # The digest's reminders apply: 30 days before its expiry, the tech lead reads about it.
    reminders = expiring_digest_lines(today)[tech_lead.pk]
    assert len(reminders) == 1 and "F1" in reminders[0].text and "in 30 days" in reminders[0].text
    assert sorted(apps.get_model("findings", "Finding").objects.values_list("status", flat=True)) == sorted(
        statuses
    )
