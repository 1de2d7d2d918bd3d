"""The re-scan service end to end on a real git repository with real scanners."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from findings.models import Finding
from projects.models import Audit, DomainScore
from rescans import change as change_since
from rescans import selectors
from rescans import services as service
from rescans.scanners import ScannerError
from rescans.signals import regression_found
from rescans.tests.scanrepo import APP_V2, commit, make_repo


@pytest.fixture
def repo(tmp_path, settings):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    return make_repo(tmp_path / "repo")


@pytest.fixture
def scanned_project(project, repo):
    project.repository_url = str(repo)
    project.branch = "main"
    project.save()
    return project


def rescan(project, *, force=False, capture=None) -> Audit:
    audit = service.project_rescan_request(project_id=project.pk, force=force, enqueue=False)
    assert audit is not None
    if capture is None:
        return service.audit_rescan_run(audit_id=audit.pk)
    with capture(execute=True):
        return service.audit_rescan_run(audit_id=audit.pk)


def bandit_direct(path: Path) -> set[tuple[str, str, int]]:
    out = subprocess.run(
        [str(Path(sys.executable).parent / "bandit"), "-r", ".", "-f", "json", "-q"],
        cwd=path,
        capture_output=True,
        check=False,
    ).stdout
    return {
        (r["test_id"], r["filename"].removeprefix("./"), r["line_number"]) for r in json.loads(out)["results"]
    }


def open_bandit(project) -> set[tuple[str, str, int]]:
    return set(
        Finding.objects.filter(project=project, tool="bandit", status="open").values_list(
            "rule_id", "file_path", "line"
        )
    )


def security_score(audit) -> Decimal | None:
    return (
        DomainScore.objects.filter(audit=audit, domain__slug="security")
        .values_list("score", flat=True)
        .first()
    )


def test_a_second_commit_fixing_two_issues_marks_exactly_those_two_fixed_and_security_rises(
    scanned_project, repo, django_capture_on_commit_callbacks, mailoutbox
):
    first = rescan(scanned_project, capture=django_capture_on_commit_callbacks)

    assert first.status == Audit.Status.COMPLETED
    assert first.rescan_run.missing == []
    assert len(first.commit_sha) == 40
    # The Bandit findings are exactly what bandit reports on the same checkout, one for one.
    expected = bandit_direct(repo)
    assert len(expected) == 6
    assert open_bandit(scanned_project) == expected
    secrets = Finding.objects.filter(project=scanned_project, tool="auditor-secrets", status="open")
    assert [(f.file_path, f.line) for f in secrets] == [("app.py", 5)]
    no_tests = Finding.objects.get(project=scanned_project, tool="auditor-checks", rule_id="no-tests")
    assert no_tests.domain.slug == "testing"
    assert first.rescan_run.change["new_count"] == Finding.objects.filter(project=scanned_project).count()
    assert first.files_count == 2 and first.lines_of_code > 10
    assert first.extra_metrics["presence"]["tests"] is False
    score_before = security_score(first)
    assert score_before is not None
    assert mailoutbox == []  # a first scan is the baseline, not a regression

    commit(repo, {"app.py": APP_V2}, "fix md5 and eval")
    second = rescan(scanned_project, capture=django_capture_on_commit_callbacks)

    assert second.status == Audit.Status.COMPLETED
    assert second.commit_sha != first.commit_sha
    fixed = Finding.objects.filter(project=scanned_project, status="fixed")
    assert sorted(fixed.values_list("rule_id", flat=True)) == ["B307", "B324"]
    assert open_bandit(scanned_project) == bandit_direct(repo)
    assert len(open_bandit(scanned_project)) == 4
    change = second.rescan_run.change
    assert change["previous_audit"] == first.pk
    assert change["fixed_count"] == 2 and change["new_count"] == 0
    assert security_score(second) > score_before
    assert Decimal(change["domains"]["security"]["delta"]) > 0
    assert change["regression"] is False
    assert mailoutbox == []


def test_a_new_high_finding_emails_the_tech_lead_and_members_exactly_once(
    scanned_project, repo, django_capture_on_commit_callbacks, mailoutbox, manager
):
    scanned_project.members.add(manager)
    rescan(scanned_project, capture=django_capture_on_commit_callbacks)
    worse = "import subprocess\n\n\ndef go(c):\n    return subprocess.run(c, shell=True)\n"
    commit(repo, {"worse.py": worse}, "add a shell call")
    audit = rescan(scanned_project, capture=django_capture_on_commit_callbacks)

    assert audit.rescan_run.change["regression"] is True
    assert audit.rescan_run.change["new_critical_or_high"] == 1
    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == ["lead@example.com", "manager@example.com"]
    assert "Regression in Champion Clone" in mailoutbox[0].subject
    assert "B602" in mailoutbox[0].body
    # A second attempt (task retried, command re-run) sends nothing.
    assert change_since.audit_notify_regression(audit_id=audit.pk) is False
    assert len(mailoutbox) == 1


def test_a_regression_sends_regression_found_once_after_commit(
    scanned_project, repo, django_capture_on_commit_callbacks
):
    calls: list[dict] = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    regression_found.connect(receiver, weak=False)
    try:
        rescan(scanned_project, capture=django_capture_on_commit_callbacks)
        assert calls == []  # the first re-scan is the baseline
        worse = "import subprocess\n\n\ndef go(c):\n    return subprocess.run(c, shell=True)\n"
        commit(repo, {"worse.py": worse}, "add a shell call")
        queued = service.project_rescan_request(project_id=scanned_project.pk, enqueue=False)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            audit = service.audit_rescan_run(audit_id=queued.pk)
        assert audit.rescan_run.change["regression"] is True
        assert calls == []  # nothing before the run's transaction commits
        with django_capture_on_commit_callbacks(execute=True):
            for callback in callbacks:
                callback()
        assert len(calls) == 1
        [sent] = calls
        assert sent["project"] == scanned_project and sent["audit"].pk == audit.pk
        assert sent["run"].pk == audit.pk and sent["run"].regression_notified_at is not None
        assert sent["summary"]["new"]["high"] == 1  # the shell call (B602)
        assert sum(sent["summary"]["new"].values()) == audit.rescan_run.change["new_count"]
        assert sent["summary"]["reopened"] == {}
        # A second attempt (task retried, command re-run) announces nothing more.
        with django_capture_on_commit_callbacks(execute=True):
            assert change_since.audit_notify_regression(audit_id=audit.pk) is False
        assert len(calls) == 1
    finally:
        regression_found.disconnect(receiver)


def test_the_same_commit_and_configuration_records_a_no_change_run_without_scanning(
    scanned_project, django_capture_on_commit_callbacks
):
    first = rescan(scanned_project, capture=django_capture_on_commit_callbacks)
    again = rescan(scanned_project, capture=django_capture_on_commit_callbacks)

    assert again.status == Audit.Status.COMPLETED
    assert again.rescan_run.outcome == "no_change"
    assert again.rescan_run.same_as_id == first.pk
    assert again.import_runs.count() == 0
    assert again.rescan_run.change["new_count"] == 0
    assert again.rescan_run.change["fixed_count"] == 0

    forced = rescan(scanned_project, force=True, capture=django_capture_on_commit_callbacks)
    assert forced.rescan_run.outcome == "scanned"
    assert forced.import_runs.count() > 0


def test_a_second_rescan_request_while_one_is_running_does_nothing(scanned_project):
    queued = service.project_rescan_request(project_id=scanned_project.pk, enqueue=False)
    assert queued is not None

    assert service.project_rescan_request(project_id=scanned_project.pk, enqueue=False) is None
    assert Audit.objects.filter(project=scanned_project, kind=Audit.Kind.AUTOMATED).count() == 1
    assert selectors.scan_state(project_id=scanned_project.pk)["running"] == queued


def test_a_run_already_claimed_is_not_run_twice(scanned_project, django_capture_on_commit_callbacks):
    audit = service.project_rescan_request(project_id=scanned_project.pk, enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert service.audit_rescan_run(audit_id=audit.pk) is not None
    # The same task delivered again (acks_late redelivery) finds the run done and does nothing.
    assert service.audit_rescan_run(audit_id=audit.pk) is None
    assert Audit.objects.filter(project=scanned_project).count() == 1


def test_a_scanner_timeout_is_recorded_and_the_rest_of_the_audit_completes(
    scanned_project, settings, django_capture_on_commit_callbacks, monkeypatch
):
    from rescans.scanners.bandit import BanditScanner

    # A real command that outlives the time limit, in place of bandit's.
    monkeypatch.setattr(
        BanditScanner,
        "command",
        lambda self, ws: [
            sys.executable,
            "-c",
            "import time, sys; sys.stderr.write('bandit is thinking'); sys.stderr.flush(); time.sleep(30)",
        ],
    )
    settings.SCAN_SCANNER_TIMEOUT_SECONDS = 2
    # Analyzers that need more than those 2 s just to start (Semgrep) are left out.
    scanned_project.enabled_scanners = ["bandit", "ruff", "secrets", "checks"]
    scanned_project.save()
    audit = rescan(scanned_project, capture=django_capture_on_commit_callbacks)

    assert audit.status == Audit.Status.COMPLETED
    part = audit.rescan_run.parts["bandit"]
    assert part["status"] == "timeout"
    assert "timed out" in part["error"]
    assert "bandit is thinking" in part["stderr_tail"]
    assert audit.rescan_run.missing == ["bandit"]
    assert audit.rescan_run.parts["ruff"]["status"] == "ok"
    assert Finding.objects.filter(project=scanned_project, tool="auditor-secrets").count() == 1
    assert not Finding.objects.filter(project=scanned_project, tool="bandit").exists()


def test_a_failed_security_scanner_leaves_the_security_score_not_measured(
    scanned_project, django_capture_on_commit_callbacks, monkeypatch
):
    from rescans.scanners import BanditScanner, OsvScanner, SecretsScanner, SemgrepScanner

    failing = lambda self, *args: [sys.executable, "-c", "import sys; sys.exit(3)"]  # noqa: E731
    # Bandit's and Semgrep's processes exit with an error (Semgrep's in the full run's early
    # start too: it names its command through base_command).
    monkeypatch.setattr(BanditScanner, "command", failing)
    monkeypatch.setattr(SemgrepScanner, "base_command", failing)

    def broken(self, *args):
        raise ScannerError(f"{self.name}: exited with code 3")

    for analyzer in (SecretsScanner, OsvScanner):
        monkeypatch.setattr(analyzer, "run", broken)
    audit = rescan(scanned_project, capture=django_capture_on_commit_callbacks)

    assert audit.status == Audit.Status.COMPLETED
    assert audit.unmeasured_domains == {
        "security": "semgrep failed; bandit failed; secrets failed; osv failed"
    }
    assert security_score(audit) is None
    assert DomainScore.objects.filter(audit=audit, domain__slug="testing").exists()

    # A later recompute (after a checklist change, an import...) must not score Security
    # from the findings of an earlier scan.
    from projects.models import MaturityDomain
    from scoring import services as scoring

    Finding.objects.create(
        project=scanned_project,
        title="Old bandit finding",
        tool="bandit",
        fingerprint="stale",
        severity=3,
        domain=MaturityDomain.objects.get(slug="security"),
    )
    scoring.audit_recompute(audit=audit)
    assert security_score(audit) is None
    score = DomainScore.objects.filter(audit=audit, domain__slug="security").first()
    assert score is None or score.score is None


def test_a_repository_that_cannot_be_fetched_fails_the_run_with_a_clear_message(project, settings, tmp_path):
    settings.SCAN_LOCAL_ROOTS = [str(tmp_path)]
    (tmp_path / "empty").mkdir()
    project.repository_url = str(tmp_path / "empty")
    project.save()
    audit = rescan(project)

    assert audit.status == Audit.Status.FAILED
    assert audit.rescan_run.outcome == "failed"
    assert "git ls-remote failed" in audit.rescan_run.error
    assert audit.finished_at is not None


def test_a_refused_repository_url_fails_without_running_git(project):
    project.repository_url = "ext::sh%20-c%20touch%20pwned"
    project.save()
    audit = rescan(project)

    assert audit.status == Audit.Status.FAILED
    assert "remote helpers" in audit.rescan_run.error


def test_coverage_and_junit_files_committed_at_configured_paths_are_imported(
    scanned_project, repo, settings, django_capture_on_commit_callbacks
):
    settings.SCAN_ARTIFACT_PATHS = ["reports/coverage.xml", "reports/junit.xml"]
    commit(
        repo,
        {
            "reports/coverage.xml": '<?xml version="1.0" ?>\n<coverage line-rate="0.625" branch-rate="0" '
            'lines-valid="8" lines-covered="5" version="7.0"><packages/></coverage>\n',
            "reports/junit.xml": '<?xml version="1.0" ?>\n<testsuites><testsuite name="s" tests="3" '
            'failures="1" errors="0" skipped="0" time="1.5">'
            '<testcase classname="t" name="ok1" time="0.1"/>'
            '<testcase classname="t" name="ok2" time="0.1"/>'
            '<testcase classname="t" name="bad" time="0.1"><failure message="no"/>'
            "</testcase></testsuite></testsuites>\n",
        },
        "CI artifacts",
    )
    audit = rescan(scanned_project, capture=django_capture_on_commit_callbacks)

    assert audit.rescan_run.parts["artifacts"]["status"] == "ok"
    assert audit.coverage_percent == Decimal("62.50")
    assert (audit.tests_passed, audit.tests_failed) == (2, 1)
    formats = set(audit.import_runs.values_list("format", flat=True))
    assert formats == {"bandit", "sarif", "cobertura", "junit"}


@pytest.mark.parametrize("after, regression", [("6.5", True), ("6.6", False), ("8.0", False)])
def test_a_global_score_falling_by_one_point_or_more_is_a_regression(project, after, regression):
    def automated(score):
        return Audit.objects.create(
            project=project,
            title="scan",
            kind=Audit.Kind.AUTOMATED,
            status=Audit.Status.COMPLETED,
            global_score=Decimal(score),
        )

    previous = automated("7.5")
    current = automated(after)
    change = change_since.compute_change(current)

    assert change["previous_audit"] == previous.pk
    assert change["global"] == {
        "before": "7.5",
        "after": after,
        "delta": str(Decimal(after) - Decimal("7.5")),
    }
    assert change["regression"] is regression
