"""From a real score edit to a signed webhook: scoring's recompute announces the change, the
receiver here queues the delivery, the real task sends it (run in this process)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from standardwebhooks.webhooks import Webhook as ReferenceVerifier

from auditor.celery import app
from integrations import event_types
from integrations.services import webhook_create
from integrations.tests.receiver import receiver
from projects.models import Audit, DomainScore, MaturityDomain, Project

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def eager():
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_a_domain_score_edited_by_hand_reaches_the_webhook(eager):
    project = Project.objects.create(name="Scored", slug="scored")
    audit = Audit.objects.create(project=project, title="Audit", status=Audit.Status.COMPLETED)
    score = DomainScore.objects.create(
        audit=audit, domain=MaturityDomain.objects.get(slug="security"), score=Decimal("5.0")
    )
    with receiver() as server:
        _webhook, secret = webhook_create(
            name="Scores", url=server.url, events=[event_types.SCORES_CHANGED], project=project
        )
        score.score = Decimal("8.0")
        score.save()  # autocommit: the recompute and the announcement follow at once

    bodies = [ReferenceVerifier(secret).verify(r.body, r.headers) for r in server.requests]
    changes = [b["data"]["changes"] for b in bodies if b["type"] == "scores.changed"]
    assert changes and changes[-1]["security"] == {"old": 5.0, "new": 8.0}
