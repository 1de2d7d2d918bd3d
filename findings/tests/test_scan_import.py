"""scan_import: de-duplication and re-import semantics, dry run, metrics, all-or-nothing."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from findings.importers import ScanFormatError
from findings.models import Finding, ImportRun
from findings.services import scan_writes, scans
from findings.services.scans import scan_import
from findings.tests.helpers import fixture, sarif_variant
from projects.models import Audit, DomainScore

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["postgresql-bulk", "portable"])
def writer(request, monkeypatch):
    """Both write paths: COPY/unnest on PostgreSQL, and the batched ORM used on SQLite."""
    if request.param == "portable":
        monkeypatch.setattr(scans, "write_findings", scan_writes.write_portable)
    return request.param


def _import(project, name, **kwargs):
    return scan_import(project=project, content=fixture(name), file_name=name, **kwargs)


def _state(project):
    return sorted(
        Finding.objects.filter(project=project).values_list(
            "fingerprint",
            "status",
            "title",
            "severity",
            "rule_id",
            "file_path",
            "fixed_at",
            "reopened_at",
            "resolved_by_import_id",
        )
    )


def test_first_import_creates_one_open_finding_per_result(writer, project, audit, security):
    run = _import(project, "bandit_v1.json", audit=audit)
    assert run.pk is not None and run.status == ImportRun.Status.SUCCEEDED
    assert (run.created_count, run.still_open_count, run.reopened_count, run.resolved_count) == (10, 0, 0, 0)
    assert run.format == "bandit" and run.tool == "bandit" and len(run.sha256) == 64
    findings = Finding.objects.filter(project=project)
    assert findings.count() == 10
    shell = findings.get(rule_id="B602")
    assert shell.status == Finding.Status.OPEN
    assert shell.domain == security
    assert shell.file_path == "app.py" and shell.line == 12
    assert shell.first_seen_audit == audit and shell.last_seen_audit == audit
    assert shell.first_seen_at is not None and shell.last_seen_at is not None
    assert shell.cwe == "CWE-78"


def test_importing_the_same_file_twice_changes_nothing_the_second_time(writer, project):
    _import(project, "bandit_v1.json")
    before = _state(project)
    run = _import(project, "bandit_v1.json")
    assert (run.created_count, run.still_open_count, run.reopened_count, run.resolved_count) == (0, 10, 0, 0)
    assert _state(project) == before


def test_reimport_resolves_missing_results_creates_new_ones_and_follows_moved_code(writer, project):
    first = _import(project, "bandit_v1.json")
    md5 = Finding.objects.get(project=project, rule_id="B324")
    run = _import(project, "bandit_v2.json")
    assert (run.created_count, run.still_open_count, run.reopened_count, run.resolved_count) == (1, 9, 0, 1)
    md5.refresh_from_db()
    assert md5.status == Finding.Status.FIXED
    assert md5.resolved_by_import == run and md5.fixed_at is not None
    assert Finding.objects.get(project=project, rule_id="B102").status == Finding.Status.OPEN
    # The shell=True call moved from line 12 to 15: same finding, line updated.
    shell = Finding.objects.get(project=project, rule_id="B602")
    assert shell.line == 15
    assert Finding.objects.filter(project=project).count() == 11
    assert first.pk != run.pk


def test_a_fixed_finding_that_comes_back_is_reopened_with_the_date(writer, project):
    _import(project, "bandit_v1.json")
    _import(project, "bandit_v2.json")
    run = _import(project, "bandit_v1.json")
    assert (run.created_count, run.reopened_count, run.resolved_count) == (0, 1, 1)
    md5 = Finding.objects.get(project=project, rule_id="B324")
    assert md5.status == Finding.Status.OPEN
    assert md5.reopened_at is not None and md5.fixed_at is None
    assert md5.resolved_by_import is None
    assert Finding.objects.get(project=project, rule_id="B102").status == Finding.Status.FIXED


def test_false_positive_and_accepted_risk_stay_as_they_are(writer, project):
    _import(project, "bandit_v1.json")
    Finding.objects.filter(project=project, rule_id="B602").update(status=Finding.Status.FALSE_POSITIVE)
    Finding.objects.filter(project=project, rule_id="B324").update(status=Finding.Status.ACCEPTED_RISK)
    run = _import(project, "bandit_v2.json")  # B602 still there, B324 gone
    assert run.unchanged_closed_count == 1
    assert run.resolved_count == 0
    assert Finding.objects.get(project=project, rule_id="B602").status == "false_positive"
    assert Finding.objects.get(project=project, rule_id="B324").status == "accepted_risk"


def test_findings_of_another_tool_or_project_are_never_resolved(writer, project, other_project):
    _import(project, "ruff_v1.sarif")
    _import(other_project, "bandit_v1.json")
    run = _import(project, "bandit_v1.json")
    assert run.resolved_count == 0
    ruff_before = Finding.objects.filter(project=project, tool="ruff").count()
    _import(project, "bandit_v2.json")
    assert Finding.objects.filter(project=project, tool="ruff", status="open").count() == ruff_before
    assert Finding.objects.filter(project=other_project, status="open").count() == 10


def test_a_sarif_run_with_no_results_resolves_that_tools_open_findings(writer, project):
    _import(project, "ruff_v1.sarif")
    content = sarif_variant(lambda doc: doc["runs"][0].update(results=[]))
    run = scan_import(project=project, content=content, file_name="clean.sarif")
    assert run.resolved_count == Finding.objects.filter(project=project).count() > 0
    assert not Finding.objects.filter(project=project, status="open").exists()


def test_sarif_results_with_an_accepted_suppression_stay_open(writer, project):
    """A suppression is the team's claim, not a decision: the finding is imported open (the
    governance app turns the claim into a pending exception, see governance/tests)."""

    def mutate(doc):
        doc["runs"][0]["results"][0]["suppressions"] = [{"kind": "inSource", "status": "accepted"}]

    scan_import(project=project, content=sarif_variant(mutate), file_name="s.sarif")
    statuses = list(Finding.objects.filter(project=project).values_list("status", flat=True))
    assert statuses and set(statuses) == {"open"}


def test_a_dry_run_writes_nothing_and_previews_the_changes(project):
    _import(project, "bandit_v1.json")
    before, runs = _state(project), ImportRun.objects.count()
    run = _import(project, "bandit_v2.json", dry_run=True)
    assert run.pk is None and run.status == ImportRun.Status.DRY_RUN
    assert (run.created_count, run.still_open_count, run.resolved_count) == (1, 9, 1)
    assert [row["title"][:4] for row in run.preview["created"]] == ["B102"]
    assert [row["title"][:4] for row in run.preview["resolved"]] == ["B324"]
    assert run.preview["resolved"][0]["severity"] == "High"
    assert run.preview["reopened"] == []
    assert _state(project) == before
    assert ImportRun.objects.count() == runs


def test_metrics_of_every_format_land_on_the_audit(project, audit):
    for name in ("bandit_v1.json", "coverage.xml", "junit.xml"):
        _import(project, name, audit=audit)
    audit.refresh_from_db()
    bandit = json.loads(fixture("bandit_v1.json"))["metrics"]["_totals"]
    assert audit.lines_of_code == bandit["loc"]
    assert audit.security_high == bandit["SEVERITY.HIGH"]
    assert str(audit.coverage_percent) == "70.00"
    assert str(audit.branch_coverage_percent) == "50.00"
    assert (audit.tests_passed, audit.tests_failed, audit.tests_errors, audit.tests_skipped) == (2, 1, 1, 1)
    assert audit.tests_duration_seconds > 0
    assert audit.extra_metrics["coverage_lines_valid"] == 10
    assert Finding.objects.filter(project=project, domain__slug="testing").count() == 2


def test_import_recomputes_the_scores_of_the_latest_completed_audit(
    project, security, django_capture_on_commit_callbacks
):
    audit = Audit.objects.create(project=project, title="Done", status=Audit.Status.COMPLETED)
    with django_capture_on_commit_callbacks(execute=True):
        _import(project, "bandit_v1.json")
    score = DomainScore.objects.get(audit=audit, domain=security)
    assert score.source == DomainScore.Source.COMPUTED
    assert score.score is not None and score.score < 10


BAD = {
    "truncated": fixture("bandit_v1.json")[:500],
    "empty": b"",
    "wrong audit": None,
    # Results 0..2 are valid: nothing of them may be stored either.
    "line out of range": sarif_variant(
        lambda doc: doc["runs"][0]["results"][3]["locations"][0]["physicalLocation"]["region"].update(
            startLine=2**31
        )
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_leaves_the_database_exactly_as_it_was(case, project, audit, other_project):
    _import(project, "bandit_v1.json", audit=audit)
    _import(project, "coverage.xml", audit=audit)
    before = (
        _state(project),
        ImportRun.objects.count(),
        list(Audit.objects.values_list("pk", "coverage_percent", "lines_of_code")),
    )
    kwargs = {"content": BAD[case] if BAD[case] is not None else fixture("bandit_v2.json")}
    if case == "wrong audit":
        kwargs["audit"] = Audit.objects.create(project=other_project, title="theirs")
        before = (
            before[0],
            before[1],
            list(Audit.objects.values_list("pk", "coverage_percent", "lines_of_code")),
        )
    with pytest.raises(ScanFormatError) as error:
        scan_import(project=project, file_name="bad.json", **kwargs)
    assert "bad.json" in str(error.value)
    assert (
        _state(project),
        ImportRun.objects.count(),
        list(Audit.objects.values_list("pk", "coverage_percent", "lines_of_code")),
    ) == before


def test_a_file_over_the_size_limit_is_refused_before_parsing(project, settings):
    settings.AUDITOR_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ScanFormatError, match="over the 1,000-byte limit"):
        _import(project, "bandit_v1.json")
    assert not Finding.objects.exists()


def test_a_failure_while_writing_rolls_back_the_whole_import(project, audit, monkeypatch):
    def explode(audit, metrics):
        raise RuntimeError("disk full")

    monkeypatch.setattr(scans, "_apply_metrics", explode)
    with pytest.raises(RuntimeError):
        _import(project, "bandit_v1.json", audit=audit)
    assert not Finding.objects.exists()
    assert not ImportRun.objects.exists()


def _bandit_report(count: int) -> bytes:
    results = [
        {
            "filename": f"pkg/m{i % 50}.py",
            "test_id": "B307",
            "test_name": "blacklist",
            "issue_severity": "MEDIUM",
            "issue_confidence": "HIGH",
            "issue_text": "eval",
            "line_number": i + 1,
            "code": f"{i + 1} value_{i} = eval(x)\n",
        }
        for i in range(count)
    ]
    return json.dumps({"results": results, "metrics": {}, "errors": []}).encode()


@pytest.mark.postgresql  # batched COPY path; SQLite writes in batches of BATCH_SIZE
def test_the_number_of_sql_queries_does_not_grow_with_the_number_of_findings(project):
    counts = []
    for size in (10, 400):
        queries = []
        for step in ("first", "again", "half"):
            content = _bandit_report(size // 2 if step == "half" else size)
            with CaptureQueriesContext(connection) as ctx:
                scan_import(project=project, content=content, file_name=f"{size}.json")
            queries.append(len(ctx.captured_queries))
        counts.append(queries)
        Finding.objects.all().delete()
    assert counts[0] == counts[1]


def test_text_the_database_cannot_store_is_cleaned_not_a_crash(writer, project):
    # JSON may carry NUL characters and lone surrogates; PostgreSQL text holds neither.
    def mutate(doc):
        doc["runs"][0]["results"][0]["message"]["text"] = "bad\u0000byte and \ud800 half"

    content = sarif_variant(mutate)
    run = scan_import(project=project, content=content, file_name="odd.sarif")
    assert run.created_count > 0
    titles = list(Finding.objects.filter(project=project).values_list("title", flat=True))
    assert any(title.startswith(("E501: badbyte and ", "E501: bad")) for title in titles)
    assert all("\x00" not in title for title in titles)


def test_a_sarif_run_without_a_results_key_did_not_analyse_and_resolves_nothing(writer, project):
    _import(project, "ruff_v1.sarif")
    content = sarif_variant(lambda doc: doc["runs"][0].pop("results"))
    run = scan_import(project=project, content=content, file_name="not-run.sarif")
    assert run.resolved_count == 0
    assert not Finding.objects.filter(project=project).exclude(status="open").exists()
