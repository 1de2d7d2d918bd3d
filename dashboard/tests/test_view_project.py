"""The project page /projects/<slug>/."""

from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from findings.models import Finding, Severity
from projects.models import Audit, DomainScore, MaturityDomain
from rescans.models import RescanRun
from scoring import formula
from scoring import services as scoring
from scoring.evidence import DomainInput, FindingGroup
from tests.pages_data import build_project


@pytest.mark.django_db
def test_the_page_shows_radar_charts_domain_table_audits_findings_and_checklists(client, manager):
    project = build_project(1)
    client.force_login(manager)
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="radar"' in html and "radar-current" in html and "radar-previous" in html
    assert 'class="linechart"' in html
    assert len(response.context["domain_rows"]) == MaturityDomain.objects.count()
    assert len(response.context["audits"]) == 3
    assert response.context["findings"]["total"] == 5
    assert "Go-live" in html
    for audit in project.audits.all():
        assert reverse("audit-detail", args=[audit.pk]) in html
    # Admin link, both ways: the page links to the change page, which links back here.
    admin_url = reverse("admin:projects_project_change", args=[project.pk])
    assert admin_url in html


@pytest.mark.django_db
def test_the_why_of_a_computed_domain_lists_the_findings_that_moved_it(client, manager):
    project = build_project(1, findings=0)
    observability = MaturityDomain.objects.get(slug="observability")
    finding = Finding.objects.create(
        project=project,
        title="No request tracing",
        domain=observability,
        severity=Severity.MEDIUM,
        fingerprint="obs-1",
    )
    scoring.project_recompute(project_id=project.pk)
    client.force_login(manager)
    html = client.get(project.get_absolute_url()).content.decode()
    assert 'id="why-observability"' in html
    assert "No request tracing" in html
    assert reverse("admin:findings_finding_change", args=[finding.pk]) in html
    row = next(
        r
        for r in client.get(project.get_absolute_url()).context["domain_rows"]
        if r.domain.slug == "observability"
    )
    alone = formula.score_domain(DomainInput("observability", findings=(FindingGroup(Severity.MEDIUM),)))
    assert row.value == alone.score < Decimal(10)
    assert row.score.source == DomainScore.Source.COMPUTED


@pytest.mark.django_db
def test_a_domain_without_evidence_is_shown_as_not_measured_never_as_zero(client, manager):
    project = build_project(1)
    client.force_login(manager)
    response = client.get(project.get_absolute_url())
    row = next(r for r in response.context["domain_rows"] if r.domain.slug == "reliability")
    assert row.value is None and row.level.name == "Not measured"
    assert "No evidence: not measured." in response.content.decode()


@pytest.mark.django_db
def test_a_tech_lead_cannot_open_another_leads_project(client, tech_lead, other_tech_lead):
    mine = build_project(1, lead=tech_lead)
    theirs = build_project(2, lead=other_tech_lead)
    client.force_login(tech_lead)
    assert client.get(mine.get_absolute_url()).status_code == 200
    assert client.get(theirs.get_absolute_url()).status_code == 403


@pytest.mark.django_db
def test_an_unknown_project_is_a_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("project-detail", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_a_project_without_completed_audit_says_so(client, manager, project):
    Audit.objects.create(project=project, title="Draft", status=Audit.Status.DRAFT)
    client.force_login(manager)
    response = client.get(project.get_absolute_url())
    assert response.status_code == 200
    assert "No completed audit yet" in response.content.decode()


@pytest.mark.django_db
def test_the_query_count_does_not_grow_with_audits_or_findings(client, manager):
    client.force_login(manager)
    small = build_project(1, audits=2, findings=3, checklist_items=2)
    big = build_project(2, audits=12, findings=300, checklist_items=40)

    def count(project):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(project.get_absolute_url()).status_code == 200
        return len(queries)

    assert count(small) == count(big)


@pytest.mark.django_db
def test_the_project_page_query_count_is_fixed(client, manager, django_assert_num_queries):
    project = build_project(1)
    client.force_login(manager)
    # session, user, project, groups, domains, audits, scores, findings, SLA counts, checklists,
    # running re-scan, latest re-scan's change, latest profiled audit, 2 permissions (the
    # repository card adds 2 more only when a re-scan profiled the repository)
    with django_assert_num_queries(15):
        client.get(project.get_absolute_url())


@pytest.mark.django_db
def test_the_admin_change_pages_link_to_the_public_pages(client, admin):
    project = build_project(1)
    audit = project.audits.first()
    client.force_login(admin)
    for obj, model in ((project, "project"), (audit, "audit")):
        html = client.get(reverse(f"admin:projects_{model}_change", args=[obj.pk])).content.decode()
        assert "View on site" in html
        shortcut = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(obj).pk, obj.pk])
        assert shortcut in html
        response = client.get(shortcut)
        assert response.status_code == 302
        assert response["Location"].endswith(obj.get_absolute_url())


@pytest.mark.django_db
def test_a_stated_score_far_from_the_evidence_is_flagged(client, manager):
    project = build_project(1, findings=0, checklist_items=0)
    latest = project.audits.order_by("-audit_date").first()
    stated = latest.domain_scores.select_related("domain").first()
    stated.score = 9
    stated.save()
    Finding.objects.create(
        project=project,
        title="Remote code execution",
        domain=stated.domain,
        severity=Severity.CRITICAL,
        fingerprint="rce",
    )
    scoring.project_recompute(project_id=project.pk)
    client.force_login(manager)
    response = client.get(project.get_absolute_url())
    row = next(r for r in response.context["domain_rows"] if r.domain == stated.domain)
    assert row.value == 9
    evidence_says, disagrees = row.evidence_value
    assert disagrees and Decimal(evidence_says) <= formula.CRITICAL_FINDING_CAP
    assert 'class="evidence-says disagrees"' in response.content.decode()


@pytest.mark.django_db
def test_the_tech_lead_gets_a_rescan_button_and_sees_the_scan_running(client, tech_lead):
    from rescans.services import project_rescan_request

    project = build_project(1, lead=tech_lead)
    project.repository_url = "https://git.example.com/r.git"
    project.save()
    client.force_login(tech_lead)
    html = client.get(project.get_absolute_url()).content.decode()
    assert 'id="rescan-now"' in html and reverse("project-rescan", args=[project.slug]) in html
    project_rescan_request(project_id=project.pk, user=tech_lead, reason="page", enqueue=False)
    response = client.get(project.get_absolute_url())
    html = response.content.decode()
    assert 'id="running-scan"' in html
    assert 'id="rescan-now"' not in html


@pytest.mark.django_db
def test_a_manager_gets_no_rescan_button(client, manager):
    project = build_project(1)
    project.repository_url = "https://git.example.com/r.git"
    project.save()
    client.force_login(manager)
    assert 'id="rescan-now"' not in client.get(project.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_the_tech_lead_can_start_a_checklist_from_the_project_page(client, tech_lead):
    project = build_project(1, lead=tech_lead)
    client.force_login(tech_lead)

    html = client.get(project.get_absolute_url()).content.decode()

    start_url = reverse("admin:checklists_checklist_start") + f"?project={project.pk}"
    assert 'id="start-checklist"' in html and start_url.replace("&", "&amp;") in html
    form = client.get(start_url)
    assert form.status_code == 200
    assert [str(p) for p in form.context["form"].initial["projects"]] == [str(project.pk)]


@pytest.mark.django_db
def test_a_manager_gets_no_start_checklist_button(client, manager):
    project = build_project(1)
    client.force_login(manager)
    assert 'id="start-checklist"' not in client.get(project.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_the_change_found_by_the_latest_rescan_is_shown_on_the_project_and_audit_pages(client, manager):
    project = build_project(1)
    baseline = Audit.objects.create(
        project=project, title="Re-scan 1", kind=Audit.Kind.AUTOMATED, status=Audit.Status.COMPLETED
    )
    rescan = Audit.objects.create(
        project=project,
        title="Re-scan 2",
        kind=Audit.Kind.AUTOMATED,
        status=Audit.Status.COMPLETED,
    )
    RescanRun.objects.create(
        audit=rescan,
        state=RescanRun.State.COMPLETED,
        outcome=RescanRun.Outcome.SCANNED,
        missing=["ruff"],
        change={
            "previous_audit": baseline.pk,
            "new_count": 2,
            "fixed_count": 1,
            "new_critical_or_high": 1,
            "regression": True,
            "new": [
                {
                    "id": 1,
                    "title": "eval() on user input",
                    "severity": "high",
                    "tool": "bandit",
                    "file_path": "app/views.py",
                    "line": 12,
                }
            ],
            "fixed": [
                {
                    "id": 2,
                    "title": "MD5 used for passwords",
                    "severity": "medium",
                    "tool": "bandit",
                    "file_path": "app/auth.py",
                    "line": 3,
                }
            ],
            "domains": {},
            "global": {"before": "6.0", "after": "4.5", "delta": "-1.5"},
        },
    )
    client.force_login(manager)

    project_html = client.get(project.get_absolute_url()).content.decode()
    assert 'id="latest-scan-change"' in project_html
    assert "2 new findings (1 critical or high), 1 fixed" in project_html
    assert "-1.5" in project_html and "regression" in project_html

    audit_html = client.get(reverse("audit-detail", args=[rescan.pk])).content.decode()
    assert 'id="scan-change"' in audit_html
    assert "eval() on user input" in audit_html and "MD5 used for passwords" in audit_html
    assert "app/views.py:12" in audit_html
    assert "ruff could not run" in audit_html
    assert reverse("audit-detail", args=[baseline.pk]) in audit_html
