from django.urls import reverse

from findings.models import Finding


def make_findings(project, *tools):
    for n, tool in enumerate(tools):
        Finding.objects.create(
            project=project, title=f"{tool} finding {n}", tool=tool, fingerprint=f"{project.slug}-{tool}-{n}"
        )


def test_the_tool_filter_lists_each_tool_once_and_filters_by_it(client, admin, project):
    make_findings(project, "bandit", "bandit", "ruff", "semgrep")
    client.force_login(admin)
    url = reverse("admin:findings_finding_changelist")

    page = client.get(url).content.decode()
    assert page.count("?tool=bandit") == 1
    assert "?tool=ruff" in page and "?tool=semgrep" in page

    filtered = client.get(url, {"tool": "bandit"})
    assert list(filtered.context["cl"].result_list.values_list("tool", flat=True)) == ["bandit"] * 2


def test_a_tech_lead_sees_only_the_tools_of_their_projects(client, tech_lead, project, other_project):
    make_findings(project, "bandit")
    make_findings(other_project, "gitleaks")
    client.force_login(tech_lead)

    page = client.get(reverse("admin:findings_finding_changelist")).content.decode()

    assert "?tool=bandit" in page
    assert "gitleaks" not in page


def test_the_tool_list_is_not_queried_again_on_the_next_page_view(
    client, admin, project, django_assert_max_num_queries
):
    make_findings(project, "bandit")
    client.force_login(admin)
    url = reverse("admin:findings_finding_changelist")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)

    assert not any("DISTINCT" in q["sql"] and '"tool"' in q["sql"] for q in queries)
