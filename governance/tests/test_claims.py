"""Claims made by imported files: a suppression in a scanner file leaves the finding open and asks
for a pending exception, which changes no score or gate until someone other than the importer
approves it (a Markdown report's statements: reports/tests/test_report_claims.py)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from findings.models import Finding, FindingComment
from findings.services.scans import scan_import
from governance.models import Origin, PolicyException, Reason, State
from governance.selectors import excepted_gate_counts
from governance.services import default_expiry, exception_approve, exception_reject, exception_request

pytestmark = pytest.mark.django_db


def sarif(rules: list[str], suppressed: set[str]) -> bytes:
    results = []
    for rule in rules:
        result = {
            "ruleId": rule,
            "level": "error",
            "message": {"text": f"problem {rule}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f"app/{rule}.py"},
                        "region": {"startLine": 3},
                    }
                }
            ],
        }
        if rule in suppressed:
            result["suppressions"] = [{"kind": "inSource", "justification": "reviewed"}]
        results.append(result)
    doc = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "semgrep"}}, "results": results}]}
    return json.dumps(doc).encode()


def test_a_suppressed_result_stays_open_with_a_pending_exception_for_someone_else(
    project, tech_lead, auditor_user
):
    scan_import(project=project, content=sarif(["R1", "R2"], {"R1"}), file_name="s.sarif", user=tech_lead)

    suppressed = Finding.objects.get(project=project, rule_id="R1")
    assert suppressed.status == "open"  # counts as open: the gate and scores see it
    exception = PolicyException.objects.get()
    assert (exception.finding, exception.state, exception.origin) == (
        suppressed,
        State.PENDING,
        Origin.SUPPRESSION,
    )
    assert exception.reason == Reason.ACCEPTED_RISK and exception.expires_on == default_expiry()
    assert exception.requested_by == tech_lead
    assert "s.sarif" in exception.justification
    note = FindingComment.objects.get(finding=suppressed).body
    assert note.startswith("Suppressed by the team in a scanner file: exception #") and "pending" in note
    assert excepted_gate_counts(project_id=project.pk)["exceptions"] == 0
    assert not PolicyException.objects.filter(finding__rule_id="R2").exists()

    with pytest.raises(PermissionDenied):
        exception_approve(exception=exception, user=tech_lead)  # the importer cannot approve
    exception_approve(exception=exception, user=auditor_user)
    suppressed.refresh_from_db()
    assert suppressed.status == "accepted_risk"
    assert excepted_gate_counts(project_id=project.pk)["exceptions"] == 1


def test_re_imports_ask_once_and_a_rejected_suppression_is_not_asked_again(project, auditor_user):
    content = sarif(["R1"], {"R1"})
    scan_import(project=project, content=content, file_name="s.sarif")
    scan_import(project=project, content=content, file_name="s.sarif")
    exception = PolicyException.objects.get()
    assert exception.requested_by is None  # an API token or a re-scan: nobody in particular

    exception_reject(exception=exception, user=auditor_user, note="Not a false alarm: fix it.")
    scan_import(project=project, content=content, file_name="s.sarif")

    assert PolicyException.objects.count() == 1
    assert Finding.objects.get(project=project).status == "open"


def test_a_finding_already_closed_by_an_approved_exception_asks_nothing(project, tech_lead, auditor_user):
    scan_import(project=project, content=sarif(["R1"], {"R1"}), file_name="s.sarif", user=tech_lead)
    exception_approve(exception=PolicyException.objects.get(), user=auditor_user)

    scan_import(project=project, content=sarif(["R1"], {"R1"}), file_name="s.sarif", user=tech_lead)

    assert PolicyException.objects.count() == 1
    assert Finding.objects.get(project=project).status == "accepted_risk"


@pytest.mark.postgresql  # SQLite splits a bulk insert into batches of its variable limit
def test_the_query_count_does_not_grow_with_the_number_of_suppressions(project, other_project):
    def queries(target, rules: list[str]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            scan_import(project=target, content=sarif(rules, set(rules)), file_name="s.sarif")
        return len(ctx.captured_queries)

    few = queries(project, ["A1", "A2"])
    many = queries(other_project, [f"B{n}" for n in range(60)])

    assert many == few
    assert PolicyException.objects.filter(state=State.PENDING).count() == 62


def test_the_exceptions_admin_shows_and_filters_the_origin(client, project, tech_lead, auditor_user, finding):
    scan_import(project=project, content=sarif(["R1"], {"R1"}), file_name="s.sarif", user=tech_lead)
    exception_request(
        user=tech_lead, reason=Reason.FALSE_POSITIVE, justification="Test data.", finding=finding
    )
    client.force_login(auditor_user)

    url = reverse("admin:governance_policyexception_changelist")
    everything = client.get(url)
    suppressions = client.get(url, {"origin__exact": Origin.SUPPRESSION})

    assert everything.status_code == suppressions.status_code == 200
    assert len(everything.context["cl"].result_list) == 2
    listed = suppressions.context["cl"].result_list
    assert [e.origin for e in listed] == [Origin.SUPPRESSION]
    assert "Suppressed by the team in a scanner file" in suppressions.content.decode()
