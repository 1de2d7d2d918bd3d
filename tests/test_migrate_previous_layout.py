"""A database filled under the layout before the app split (everything in projects, re-scan
details in Audit.scan_details) migrates to the current one without losing a row or a value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# The last migrations before the split.
PREVIOUS_LAYOUT = [
    ("projects", "0008_report_domain_aliases"),
    ("findings", "0005_sweep_abandoned_imports_schedule"),
    ("checklists", "0005_reminder_attempt_log"),
]

REQUESTED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
NOTIFIED = dt.datetime(2026, 3, 2, 9, 5, tzinfo=dt.UTC)
CHANGE = {
    "previous_audit": None,
    "new_count": 1,
    "fixed_count": 0,
    "new": [{"id": 1, "title": "eval", "severity": "high", "tool": "bandit", "file_path": "a.py", "line": 3}],
    "fixed": [],
    "new_critical_or_high": 1,
    "domains": {"security": {"before": None, "after": "4.0", "delta": None}},
    "global": {"before": None, "after": "5.5", "delta": None},
    "regression": False,
}
PARTS = {
    "bandit": {"domain": "security", "duration_s": 1.5, "status": "ok", "findings": 1},
    "detect-secrets": {
        "domain": "security",
        "duration_s": 0.4,
        "status": "failed",
        "error": "detect-secrets: exit 2",
        "stderr_tail": "boom",
    },
    "ruff": {"domain": "code-quality", "duration_s": 0.2, "status": "failed", "error": "ruff: exit 2"},
}
SCANNED = {
    "state": "completed",
    "reason": "schedule",
    "force": False,
    "requested_at": REQUESTED.isoformat(),
    "requested_by": "",
    "config_hash": "c" * 64,
    "outcome": "scanned",
    "commit": "a" * 40,
    "parts": PARTS,
    "missing": ["detect-secrets", "ruff"],
    "not_measured": {"code-quality": "ruff failed"},
    "duration_s": 2.25,
    "change": CHANGE,
    "regression_notified_at": NOTIFIED.isoformat(),
}
REPORT = {
    "file_name": "audit-2025.md",
    "imported_by": "alice",
    "verdict_as_written": "Prêt avec réserves",
    "repairs": ["Repaired the encoding: the report was UTF-8 read as Mac Roman."],
    "weighted_mean_of_stated_scores": "5.857142857142857142857142857",
    "inconsistency": {"stated_global": "6.0", "weighted_mean": "5.86", "difference": "0.14"},
}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _fill_previous_layout(apps) -> dict[str, int]:
    User = apps.get_model("auth", "User")
    Project = apps.get_model("projects", "Project")
    Audit = apps.get_model("projects", "Audit")
    DomainScore = apps.get_model("projects", "DomainScore")
    MaturityDomain = apps.get_model("projects", "MaturityDomain")
    ProjectSummary = apps.get_model("projects", "ProjectSummary")
    Heartbeat = apps.get_model("projects", "Heartbeat")
    Finding = apps.get_model("findings", "Finding")
    Checklist = apps.get_model("checklists", "Checklist")
    ChecklistItem = apps.get_model("checklists", "ChecklistItem")

    lead = User.objects.create(username="lead", email="lead@example.com")
    project = Project.objects.create(name="Shop", slug="shop", tech_lead=lead, repository_url="/srv/shop.git")
    security = MaturityDomain.objects.get(slug="security")
    manual = Audit.objects.create(
        project=project,
        title="Manual audit",
        kind="manual",
        status="completed",
        audit_date=dt.date(2026, 1, 10),
        global_score=Decimal("6.5"),
        tests_passed=120,
        coverage_percent=Decimal("81.50"),
    )
    DomainScore.objects.create(audit=manual, domain=security, score=Decimal("6.0"), source="manual")
    scanned = Audit.objects.create(
        project=project,
        title="Automated re-scan",
        kind="automated",
        status="completed",
        audit_date=dt.date(2026, 3, 2),
        commit_sha="a" * 40,
        started_at=REQUESTED,
        finished_at=NOTIFIED,
        scan_details=SCANNED,
    )
    no_change = Audit.objects.create(
        project=project,
        title="Automated re-scan again",
        kind="automated",
        status="completed",
        audit_date=dt.date(2026, 3, 3),
        commit_sha="a" * 40,
        scan_details={
            **SCANNED,
            "outcome": "no_change",
            "same_as_audit": scanned.pk,
            "change": {},
            "regression_notified_at": None,
        },
    )
    abandoned = Audit.objects.create(
        project=project,
        title="Abandoned",
        kind="automated",
        status="failed",
        scan_details={
            "state": "failed",
            "reason": "retry",
            "force": True,
            "requested_at": REQUESTED.isoformat(),
            "requested_by": "bob",
            "config_hash": "d" * 64,
            "outcome": "abandoned",
            "error": "abandoned: still running after 3600 s (worker killed or lost)",
        },
    )
    queued = Audit.objects.create(
        project=project,
        title="Queued",
        kind="automated",
        status="in_progress",
        scan_details={
            "state": "queued",
            "reason": "manual",
            "force": False,
            "requested_at": REQUESTED.isoformat(),
            "requested_by": "carol",
        },
    )
    imported = Audit.objects.create(
        project=project,
        title="Imported report",
        kind="imported",
        status="completed",
        source_sha256="f" * 64,
        stated_global_score=Decimal("6.0"),
        warnings=["Inconsistency: ..."],
        scan_details={"report": REPORT},
    )
    Finding.objects.create(
        project=project, title="eval on input", fingerprint="fp1", severity=3, domain=security, tool="bandit"
    )
    checklist = Checklist.objects.create(project=project, audit=manual, title="Go-live")
    ChecklistItem.objects.create(checklist=checklist, order=1, text="Backups restored once", state="done")
    ProjectSummary.objects.create(project=project, latest_audit=manual, global_score=Decimal("6.5"))
    Heartbeat.objects.create(name="beat", beat_at=timezone.now())
    return {
        "manual": manual.pk,
        "scanned": scanned.pk,
        "no_change": no_change.pk,
        "abandoned": abandoned.pk,
        "queued": queued.pk,
        "imported": imported.pk,
        "project": project.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_a_database_of_the_previous_layout_migrates_without_losing_anything():
    old_apps = _migrate(PREVIOUS_LAYOUT)
    ids = _fill_previous_layout(old_apps)
    Group = old_apps.get_model("auth", "Group")
    roles_before = {
        g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()
    }
    assert roles_before, "the roles migration created no group"

    apps = _migrate(None)
    Audit = apps.get_model("projects", "Audit")
    RescanRun = apps.get_model("rescans", "RescanRun")
    ReportSource = apps.get_model("reports", "ReportSource")

    assert Audit.objects.count() == 6
    manual = Audit.objects.get(pk=ids["manual"])
    assert (manual.tests_passed, manual.coverage_percent) == (120, Decimal("81.50"))
    assert apps.get_model("projects", "DomainScore").objects.get(audit=manual).score == Decimal("6.0")
    assert apps.get_model("findings", "Finding").objects.get().fingerprint == "fp1"
    assert apps.get_model("checklists", "ChecklistItem").objects.get().state == "done"
    assert apps.get_model("scoring", "ProjectSummary").objects.get().global_score == Decimal("6.5")
    assert apps.get_model("ops", "Heartbeat").objects.get().name == "beat"
    roles_after = {g.name: set(g.permissions.values_list("codename", flat=True)) for g in Group.objects.all()}
    for role, codenames in roles_before.items():
        assert codenames <= roles_after[role], role

    # Every key scan_details held, now a column.
    run = RescanRun.objects.get(audit_id=ids["scanned"])
    assert (run.state, run.reason, run.force, run.requested_by) == ("completed", "schedule", False, "")
    assert (run.requested_at, run.regression_notified_at) == (REQUESTED, NOTIFIED)
    assert (run.config_hash, run.outcome, run.error) == ("c" * 64, "scanned", "")
    assert (run.parts, run.missing, run.duration_s, run.change) == (
        PARTS,
        ["detect-secrets", "ruff"],
        2.25,
        CHANGE,
    )
    assert Audit.objects.get(pk=ids["scanned"]).unmeasured_domains == {"code-quality": "ruff failed"}
    again = RescanRun.objects.get(audit_id=ids["no_change"])
    assert (again.outcome, again.same_as_id, again.regression_notified_at) == (
        "no_change",
        ids["scanned"],
        None,
    )
    lost = RescanRun.objects.get(audit_id=ids["abandoned"])
    assert (lost.state, lost.outcome, lost.reason, lost.force, lost.requested_by) == (
        "failed",
        "abandoned",
        "retry",
        True,
        "bob",
    )
    assert lost.error.startswith("abandoned: still running")
    waiting = RescanRun.objects.get(audit_id=ids["queued"])
    assert (waiting.state, waiting.outcome, waiting.requested_by) == ("queued", "", "carol")
    assert not RescanRun.objects.filter(audit_id__in=[ids["manual"], ids["imported"]]).exists()

    source = ReportSource.objects.get(audit_id=ids["imported"])
    assert (source.file_name, source.imported_by, source.verdict_as_written) == (
        "audit-2025.md",
        "alice",
        "Prêt avec réserves",
    )
    assert source.repairs == REPORT["repairs"]
    assert source.inconsistency == REPORT["inconsistency"]
    # Stored rounded to two decimals, as shown.
    assert source.weighted_mean_of_stated_scores == Decimal("5.86")


@pytest.mark.django_db(transaction=True)
def test_migrating_back_rebuilds_scan_details():
    ids = _fill_previous_layout(_migrate(PREVIOUS_LAYOUT))
    _migrate(None)
    # Back to just before the copies: scan_details is there again, rebuilt from the new rows.
    apps = _migrate(
        [
            ("projects", "0010_audit_unmeasured_domains"),
            ("rescans", "0001_initial"),
            ("reports", "0001_initial"),
        ]
    )
    details = dict(apps.get_model("projects", "Audit").objects.values_list("pk", "scan_details"))
    _migrate(None)

    assert details[ids["scanned"]] == SCANNED
    assert details[ids["imported"]]["report"]["repairs"] == REPORT["repairs"]
    assert details[ids["queued"]] == {
        "state": "queued",
        "reason": "manual",
        "force": False,
        "requested_at": REQUESTED.isoformat(),
        "requested_by": "carol",
    }
