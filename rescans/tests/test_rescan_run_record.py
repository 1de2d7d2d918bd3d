"""What a re-scan run records, and that a run whose results cannot be saved still ends."""

from __future__ import annotations

import sys

import pytest
from django.db import DataError

from projects.models import Audit
from rescans import change
from rescans import services as service
from rescans.models import ERROR_MAX_CHARS, RescanRun
from rescans.tests.scanrepo import make_repo


@pytest.fixture
def scanned_project(project, tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    project.repository_url = str(make_repo(tmp_path / "repo"))
    project.branch = "main"
    project.save()
    return project


def test_a_request_records_who_asked_why_and_whether_forced(project, admin):
    audit = service.project_rescan_request(
        project_id=project.pk, force=True, reason="admin", user=admin, enqueue=False
    )
    run = RescanRun.objects.get(audit=audit)
    assert (run.state, run.reason, run.force, run.requested_by, run.outcome) == (
        "queued",
        "admin",
        True,
        admin.username,
        "",
    )
    assert run.requested_at is not None


def test_scanner_output_with_nul_and_control_characters_is_stored_cleaned_and_capped(
    scanned_project, django_capture_on_commit_callbacks, monkeypatch
):
    from rescans.scanners.bandit import BanditScanner

    noisy = "import sys; sys.stderr.write('bad\\x00byte\\x1b[31m' + 'y' * 9000); sys.exit(3)"
    monkeypatch.setattr(BanditScanner, "command", lambda self, ws: [sys.executable, "-c", noisy])
    audit = service.project_rescan_request(project_id=scanned_project.pk, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        done = service.audit_rescan_run(audit_id=audit.pk)

    assert done.status == Audit.Status.COMPLETED
    tail = RescanRun.objects.get(audit=done).parts["bandit"]["stderr_tail"]
    assert "\x00" not in tail and "\x1b" not in tail
    assert len(tail) <= ERROR_MAX_CHARS


def test_a_run_whose_results_cannot_be_saved_fails_and_releases_the_project(scanned_project, monkeypatch):
    # The database refusing what the run produced (PostgreSQL refuses NUL in text, for one).
    def refuse(audit):
        raise DataError("invalid byte sequence for encoding UTF8: 0x00 in 'bad\x00data'")

    monkeypatch.setattr(change, "compute_change", refuse)
    audit = service.project_rescan_request(project_id=scanned_project.pk, enqueue=False)
    with pytest.raises(DataError):
        service.audit_rescan_run(audit_id=audit.pk)

    audit.refresh_from_db()
    run = RescanRun.objects.get(audit=audit)
    assert audit.status == Audit.Status.FAILED
    assert (run.state, run.outcome, run.error) == ("failed", "failed", "internal error: DataError")
    assert service.running_scan(project_id=scanned_project.pk) is None
    assert service.project_rescan_request(project_id=scanned_project.pk, enqueue=False) is not None


def test_a_failure_message_is_stored_cleaned_and_capped(project):
    audit = service.project_rescan_request(project_id=project.pk, enqueue=False)
    failed = service._finish_failed(audit.pk, "git said \x00" + "z" * 10_000)

    run = RescanRun.objects.get(audit=audit)
    assert failed is not None and failed.status == Audit.Status.FAILED
    assert "\x00" not in run.error and len(run.error) == ERROR_MAX_CHARS
    assert run.error.startswith("git said ")
    assert service.running_scan(project_id=project.pk) is None
