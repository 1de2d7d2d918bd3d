import datetime as dt

import pytest

from projects.models import Audit
from scoring.services import latest_completed_audit
from scoring.summaries import project_summary_refresh


@pytest.mark.django_db
def test_an_undated_completed_audit_never_counts_as_the_latest(project):
    dated = Audit.objects.create(
        project=project, title="Dated", status=Audit.Status.COMPLETED, audit_date=dt.date(2026, 5, 1)
    )
    Audit.objects.create(project=project, title="Undated", status=Audit.Status.COMPLETED, audit_date=None)

    assert latest_completed_audit(project.pk) == dated
    assert project_summary_refresh(project_id=project.pk).latest_audit_id == dated.pk
