"""Comments on the audit page, and in the watchers' daily digest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from checklists.services import reminders_send
from findings.models import Finding, FindingComment
from findings.services.comments import comment_add
from projects.models import Audit

pytestmark = pytest.mark.django_db


def test_the_audit_page_shows_the_thread_with_internal_notes_marked(client, project, tech_lead, manager):
    audit = Audit.objects.create(project=project, title="Audit", status=Audit.Status.COMPLETED)
    finding = Finding.objects.create(project=project, title="XSS", fingerprint="xss", severity=3)
    comment_add(finding=finding, author=tech_lead, body="Escaping added in\nthe template")
    comment_add(finding=finding, author=tech_lead, body="Needs a second look", internal=True)
    client.force_login(manager)

    page = client.get(reverse("audit-detail", args=[audit.pk])).content.decode()

    assert "2 comments</summary>" in page
    assert "Escaping added in<br>the template" in page
    assert '<span class="flag">internal</span> <b>lead</b>' in page


def test_watchers_get_yesterdays_comments_in_their_digest_once(settings, project, tech_lead, auditor_user):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    finding = Finding.objects.create(project=project, title="CSRF", fingerprint="csrf", severity=2)
    comment_add(finding=finding, author=tech_lead, body="@auditor can you confirm?")
    comment_add(finding=finding, author=auditor_user, body="Confirmed, @lead")
    comment_add(finding=finding, author=tech_lead, body="Secret detail", internal=True)
    yesterday = timezone.now() - dt.timedelta(days=1)
    FindingComment.objects.update(created_at=yesterday)
    today = timezone.localdate()

    reminders_send(today=today)
    reminders_send(today=today)

    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert len(mail.outbox) == 2
    assert "lead on 'CSRF': wrote: @auditor can you confirm?" in bodies[auditor_user.email]
    assert "lead on 'CSRF': added an internal note" in bodies[auditor_user.email]
    assert "Secret detail" not in bodies[auditor_user.email]
    assert "Confirmed" not in bodies[auditor_user.email]  # their own comment
    assert "auditor on 'CSRF': wrote: Confirmed, @lead" in bodies[tech_lead.email]
