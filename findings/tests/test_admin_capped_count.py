"""The findings admin list counts at most CAP + 1 rows, whatever the size of the table."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from findings.models import Finding
from findings.paginators import CappedCountPaginator


def _findings(project, n):
    Finding.objects.bulk_create(
        Finding(project=project, title=f"F{i}", tool="bandit", fingerprint=f"cap-{i}") for i in range(n)
    )


def test_past_the_cap_the_list_says_more_than_and_counts_no_further(client, admin, project, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 5)
    _findings(project, 12)
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:findings_finding_changelist"), {"p": "1"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "more than 5 findings" in page
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT 6" in sql for sql in counts), counts
    # Filters count the same way; under the cap the exact count is shown.
    response = client.get(reverse("admin:findings_finding_changelist"), {"q": "F1"})
    assert "3 findings" in response.content.decode()  # F1, F10, F11


def test_under_the_cap_the_exact_count_is_shown(client, admin, project):
    _findings(project, 3)
    client.force_login(admin)
    page = client.get(reverse("admin:findings_finding_changelist")).content.decode()
    assert "3 findings" in page and "more than" not in page
