"""Checklist items answered from evidence (checklists/evidence_rules.py, evaluated by
scoring/checklist_evidence.py): the rules of the bundled templates, what each rule reads, the
provenance an answer keeps, and the tech lead confirming or overriding it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from checklists import evidence_rules, services
from checklists.library import EVIDENCE_RULES
from checklists.models import ChecklistItem, ChecklistItemHistory, ChecklistTemplate, ChecklistTemplateItem
from findings.models import Finding, Severity
from projects.models import Audit
from scoring.models import AuditAnalyzerRun, AuditProfile


def start(project, slug, user=None):
    return services.checklist_start(
        project=project, template=ChecklistTemplate.objects.get(slug=slug), owner=user
    )


def item_of(checklist, rule):
    return checklist.items.get(evidence_rule=rule)


def metrics_audit(project, days_ago=0, **fields):
    return Audit.objects.create(
        project=project,
        title="CI results",
        kind=Audit.Kind.AUTOMATED,
        status=Audit.Status.COMPLETED,
        audit_date=dt.date.today() - dt.timedelta(days=days_ago),
        **fields,
    )


def test_every_bundled_rule_names_an_existing_item_and_a_registered_evaluator(db):
    for slug, rules in EVIDENCE_RULES.items():
        for text, (rule, _threshold) in rules.items():
            item = ChecklistTemplateItem.objects.get(template__slug=slug, text=text)
            assert item.evidence_rule == rule
            assert evidence_rules.is_registered(rule), rule
    assert set(evidence_rules.RULES) == {r for r in evidence_rules.RULES if evidence_rules.is_registered(r)}


def test_without_evidence_the_item_stays_to_do_and_keeps_no_provenance(project, tech_lead):
    checklist = start(project, "test-ci-quality", tech_lead)
    item = item_of(checklist, "coverage_at_least")
    assert (item.state, item.answer_source, item.provenance) == ("todo", "person", {})


def test_coverage_above_the_threshold_answers_done_with_its_provenance(project, tech_lead):
    audit = metrics_audit(project, coverage_percent=Decimal("84.20"))
    item = item_of(start(project, "test-ci-quality", tech_lead), "coverage_at_least")
    assert (item.state, item.answer_source, item.carried) == ("done", "evidence", False)
    assert item.provenance["rule"] == "coverage_at_least"
    assert item.provenance["values"] == {"coverage_percent": "84.20", "threshold": "80.00", "audit": audit.pk}
    assert f"audit {audit.pk}" in item.provenance["source"]
    assert "84.20% ≥ 80.00%" in item.provenance["summary"]
    assert dt.datetime.fromisoformat(item.provenance["evaluated_at"]).date() == dt.date.today()
    assert item.awaits_confirmation
    (row,) = ChecklistItemHistory.objects.filter(item=item)
    assert (row.event, row.to_state, row.user) == ("evidence", "done", None)
    assert row.note == item.provenance["summary"]


def test_a_higher_threshold_of_the_item_answers_to_do(project, tech_lead):
    metrics_audit(project, coverage_percent=Decimal("84.20"))
    ChecklistTemplateItem.objects.filter(evidence_rule="coverage_at_least").update(evidence_threshold=90)
    item = item_of(start(project, "test-ci-quality", tech_lead), "coverage_at_least")
    assert item.state == "todo"
    assert item.answer_source == "evidence"
    assert "84.20% < 90.00%" in item.provenance["summary"]


def test_the_latest_audit_with_the_figure_decides(project, tech_lead):
    metrics_audit(project, days_ago=30, coverage_percent=Decimal("95"))
    metrics_audit(project, days_ago=1, coverage_percent=Decimal("60"))
    metrics_audit(project, days_ago=0)  # no coverage figure: not read
    assert item_of(start(project, "test-ci-quality", tech_lead), "coverage_at_least").state == "todo"


def test_failing_junit_tests_answer_to_do_and_passing_ones_done(project, tech_lead):
    metrics_audit(project, days_ago=2, tests_passed=120, tests_failed=3, tests_errors=0)
    item = item_of(start(project, "production-readiness", tech_lead), "tests_ran_in_ci")
    assert (item.state, item.provenance["values"]["failing"]) == ("todo", 3)
    metrics_audit(project, days_ago=0, tests_passed=123, tests_failed=0, tests_errors=0)
    services.evidence_answer_items([item])
    item.refresh_from_db()
    assert (item.state, item.provenance["values"]["passed"]) == ("done", 123)


def test_the_secrets_scanner_decides_only_when_it_ran_to_the_end(project, tech_lead):
    audit = metrics_audit(project)
    run = AuditAnalyzerRun.objects.create(audit=audit, name="secrets", status="failed", error="timeout")
    item = item_of(start(project, "security-review", tech_lead), "no_secret_found")
    assert (item.state, item.provenance) == ("todo", {})
    AuditAnalyzerRun.objects.filter(pk=run.pk).update(status="ok", findings=2)
    services.evidence_answer_items([item])
    item.refresh_from_db()
    assert (item.state, item.provenance["values"]["found"]) == ("todo", 2)
    AuditAnalyzerRun.objects.filter(pk=run.pk).update(findings=0)
    services.evidence_answer_items([item])
    item.refresh_from_db()
    assert item.state == "done"
    assert ChecklistItemHistory.objects.filter(item=item, event="evidence").count() == 2


def test_repository_practices_of_the_latest_rescan_answer_container_items(project, tech_lead):
    audit = metrics_audit(project)
    AuditProfile.objects.create(
        audit=audit,
        container_files=["Dockerfile"],
        practices={"container_healthcheck": True, "container_non_root": False, "lock_file": True},
    )
    deployment = start(project, "deployment", tech_lead)
    assert item_of(deployment, "container_healthcheck_present").state == "done"
    review = start(project, "security-review", tech_lead)
    assert item_of(review, "container_non_root").state == "todo"
    assert item_of(review, "lock_file_present").state == "done"
    assert item_of(review, "container_non_root").provenance["values"]["container_files"] == ["Dockerfile"]


def test_an_open_critical_finding_of_the_items_domain_answers_to_do(project, tech_lead, security):
    checklist = start(project, "deployment", tech_lead)
    item = checklist.items.filter(evidence_rule="").first()
    ChecklistItem.objects.filter(pk=item.pk).update(evidence_rule="no_open_critical_finding", domain=security)
    Finding.objects.create(
        project=project, title="SQLi", severity=Severity.CRITICAL, domain=security, fingerprint="a"
    )
    assert services.evidence_answer_items([item]) == 1
    item.refresh_from_db()
    assert (item.state, item.provenance["values"]["open_critical"]) == ("todo", 1)
    Finding.objects.update(status=Finding.Status.FIXED)
    services.evidence_answer_items([item])
    item.refresh_from_db()
    assert item.state == "done"


def test_confirming_keeps_the_answer_and_records_who(project, tech_lead):
    metrics_audit(project, coverage_percent=Decimal("90"))
    item = item_of(start(project, "test-ci-quality", tech_lead), "coverage_at_least")
    services.confirm_evidence_answer(item, user=tech_lead)
    item.refresh_from_db()
    assert (item.state, item.answer_source, item.provenance_confirmed_by) == ("done", "evidence", tech_lead)
    assert not item.awaits_confirmation
    assert ChecklistItemHistory.objects.filter(item=item, event="confirm").count() == 1


def test_overriding_needs_a_note_and_keeps_what_the_evidence_said(project, tech_lead):
    metrics_audit(project, coverage_percent=Decimal("90"))
    item = item_of(start(project, "test-ci-quality", tech_lead), "coverage_at_least")
    with pytest.raises(ValidationError, match="note"):
        services.answer_item(item, user=tech_lead, state="todo")
    item.refresh_from_db()
    assert item.state == "done"
    services.answer_item(item, user=tech_lead, state="todo", note="Coverage counts generated code")
    item.refresh_from_db()
    assert (item.state, item.answer_source) == ("todo", "person")
    assert item.provenance["values"]["coverage_percent"] == "90.00"
    assert "overridden_at" in item.provenance
    assert ChecklistItemHistory.objects.filter(item=item, event="override").count() == 1


def test_evidence_never_replaces_a_persons_answer(project, tech_lead):
    item = item_of(start(project, "test-ci-quality", tech_lead), "coverage_at_least")
    services.answer_item(item, user=tech_lead, state="na", note="No code of ours in this repo")
    metrics_audit(project, coverage_percent=Decimal("90"))
    assert services.evidence_answer_items([item]) == 0
    item.refresh_from_db()
    assert (item.state, item.answer_source) == ("na", "person")


def test_new_evidence_answers_open_items_again_after_commit(
    project, tech_lead, django_capture_on_commit_callbacks
):
    item = item_of(start(project, "test-ci-quality", tech_lead), "coverage_at_least")
    assert item.state == "todo"
    with django_capture_on_commit_callbacks(execute=True):
        metrics_audit(project, coverage_percent=Decimal("91"))
    item.refresh_from_db()
    assert (item.state, item.answer_source) == ("done", "evidence")
    with django_capture_on_commit_callbacks(execute=True):
        metrics_audit(project, coverage_percent=Decimal("70"))
    item.refresh_from_db()
    assert item.state == "todo"
    assert ChecklistItemHistory.objects.filter(item=item, event="evidence").count() == 2


def test_a_signed_off_checklist_is_not_answered_again(
    project, tech_lead, admin, django_capture_on_commit_callbacks
):
    checklist = start(project, "test-ci-quality", tech_lead)
    services.submit_for_review(checklist, user=tech_lead)
    services.sign_off(checklist, user=admin)
    with django_capture_on_commit_callbacks(execute=True):
        metrics_audit(project, coverage_percent=Decimal("91"))
    assert item_of(checklist, "coverage_at_least").state == "todo"
