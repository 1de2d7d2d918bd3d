"""`manage.py rescan SLUG [--force]`: one re-scan in the foreground, with its summary."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from projects.models import Audit
from rescans import services as service
from rescans.tests.scanrepo import APP_V2, commit, make_repo


@pytest.fixture
def scanned_project(project, tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    project.repository_url = str(make_repo(tmp_path / "repo"))
    project.save()
    return project


def run(*args) -> str:
    out = StringIO()
    call_command("rescan", *args, stdout=out)
    return out.getvalue()


def test_the_command_scans_and_prints_the_change_since_the_previous_rescan(scanned_project, tmp_path):
    first = run("champion-clone")
    assert "outcome scanned" in first
    assert "bandit          ok" in first
    assert "Change since nothing (first automated audit)" in first

    commit(tmp_path / "repo", {"app.py": APP_V2}, "fix two")
    second = run("champion-clone")
    previous = Audit.objects.filter(project=scanned_project).order_by("id").first()
    assert f"Change since audit #{previous.pk}: 0 new, 2 fixed finding(s)" in second
    assert "security" in second


def test_without_force_an_unchanged_repository_is_not_rescanned_and_force_rescans_it(scanned_project):
    run("champion-clone")
    assert "outcome no_change" in run("champion-clone")
    assert "outcome scanned" in run("champion-clone", "--force")


def test_an_unknown_slug_is_an_error_naming_it(db):
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        run("nope")


def test_a_scan_already_running_is_not_started_again(scanned_project):
    running = service.project_rescan_request(project_id=scanned_project.pk, enqueue=False)
    with pytest.raises(CommandError, match=f"already queued or running \\(audit #{running.pk}\\)"):
        run("champion-clone")


def test_a_failed_scan_exits_with_its_error(project):
    project.repository_url = "http://insecure.example.com/repo.git"
    project.save()
    with pytest.raises(CommandError, match="Re-scan failed: Repository scheme http:// is not allowed"):
        run("champion-clone")
