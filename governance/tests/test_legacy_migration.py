"""Findings closed as accepted risk or false positive before exceptions existed keep their
status: the migration gives each an approved legacy exception."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


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
def test_closed_findings_get_approved_legacy_exceptions_and_keep_their_status():
    old = _migrate(without_governance=True)
    Project = old.get_model("projects", "Project")
    Finding = old.get_model("findings", "Finding")
    project = Project.objects.create(name="Legacy", slug="legacy")
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
    assert rows == [
        ("accepted_risk", "accepted_risk", "approved", True, why, None, None),
        ("false_positive", "false_positive", "approved", True, why, None, None),
    ]
    assert sorted(apps.get_model("findings", "Finding").objects.values_list("status", flat=True)) == sorted(
        statuses
    )
