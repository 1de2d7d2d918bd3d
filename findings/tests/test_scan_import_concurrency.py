"""Two imports into one project at the same moment run one after the other, never interleaved."""

import threading

import pytest
from django.db import connection

from findings.models import Finding
from findings.services.scans import scan_import
from findings.tests.helpers import fixture
from projects.models import Project

pytestmark = pytest.mark.postgresql  # row locks


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_simultaneous_imports_of_the_same_report_create_each_finding_once():
    project = Project.objects.create(name="Race", slug="race")
    barrier = threading.Barrier(2)
    runs, errors = [], []

    def worker():
        try:
            barrier.wait()
            runs.append(
                scan_import(project=project, content=fixture("bandit_v1.json"), file_name="bandit.json")
            )
        except Exception as exc:  # noqa: BLE001 (reported by the assertion below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted((r.created_count, r.still_open_count) for r in runs) == [(0, 10), (10, 0)]
    assert Finding.objects.filter(project=project).count() == 10
