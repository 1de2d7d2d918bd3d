import pytest

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding


@pytest.fixture
def make_finding(project):
    counter = {"n": 0}

    def make(**fields):
        counter["n"] += 1
        values = {
            "project": project,
            "title": f"Finding {counter['n']}",
            "fingerprint": f"fp-{counter['n']}",
            "severity": 4,
            "tool": "bandit",
            "rule_id": f"B{counter['n']}",
        }
        values.update(fields)
        return Finding.objects.create(**values)

    return make


@pytest.fixture
def finding(make_finding):
    return make_finding()


@pytest.fixture
def item(project):
    checklist = Checklist.objects.create(project=project, title="Release checklist")
    return ChecklistItem.objects.create(checklist=checklist, text="Backups are tested")
