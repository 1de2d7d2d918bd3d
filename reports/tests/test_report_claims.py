"""A finding a Markdown report states as accepted risk or false positive is recorded open, with a
pending exception of that reason that someone other than the importer must approve."""

from __future__ import annotations

import pytest

from findings.models import Finding
from governance.models import Origin, PolicyException, Reason, State
from governance.services import exception_approve
from reports.services import report_import

pytestmark = pytest.mark.django_db

REPORT = """# Audit of Shop

**Date:** 2025-01-01

## Findings

| Severity | Finding | File | Status |
|---|---|---|---|
| Critical | SQL injection in search | `shop/search.py:12` | Accepted risk |
| High | Debug mode in production | `shop/settings.py:3` | False positive |
| Medium | Missing rate limit | `shop/api.py:40` | Open |
"""


def test_a_reports_accepted_risk_and_false_positive_become_pending_exceptions(
    project, tech_lead, auditor_user
):
    report_import(content=REPORT.encode(), file_name="shop.md", project=project, user=tech_lead)

    findings = {f.title: f for f in Finding.objects.filter(project=project)}
    assert {f.status for f in findings.values()} == {"open"}
    pending = {e.finding.title: e for e in PolicyException.objects.select_related("finding")}
    assert set(pending) == {"SQL injection in search", "Debug mode in production"}
    risk, false_positive = pending["SQL injection in search"], pending["Debug mode in production"]
    assert (risk.reason, risk.origin, risk.state) == (Reason.ACCEPTED_RISK, Origin.REPORT, State.PENDING)
    assert risk.expires_on is not None and "shop.md" in risk.justification
    assert (false_positive.reason, false_positive.expires_on) == (Reason.FALSE_POSITIVE, None)
    assert risk.requested_by == tech_lead

    exception_approve(exception=false_positive, user=auditor_user)
    assert Finding.objects.get(pk=false_positive.finding_id).status == "false_positive"
    assert Finding.objects.get(pk=risk.finding_id).status == "open"
