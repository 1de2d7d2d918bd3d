"""SLA counts on the project and portfolio pages; breaches in the daily digest, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from checklists.services import reminders_send
from conftest import make_user
from findings.models import Finding
from projects.models import Audit
from scoring.services import project_refresh_summary

pytestmark = pytest.mark.django_db


def finding(project, title, due, **extra):
    return Finding.objects.create(
        project=project, title=title, fingerprint=title, severity=3, sla_due_at=due, **extra
    )


def test_the_project_page_counts_findings_by_sla_state(client, manager, project):
    Audit.objects.create(project=project, title="Audit", status=Audit.Status.COMPLETED)
    now = timezone.now()
    finding(project, "late one", now - dt.timedelta(days=3))
    finding(project, "late two", now - dt.timedelta(hours=1))
    finding(project, "soon", now + dt.timedelta(days=2))
    finding(project, "fine", now + dt.timedelta(days=25))
    finding(project, "closed late", now - dt.timedelta(days=9), status="fixed")
    client.force_login(manager)

    page = client.get(reverse("project-detail", args=[project.slug])).content.decode()

    assert "2 breached</a>" in page and "1 due soon</a>" in page and "1 on track" in page
    assert f"?project__id__exact={project.pk}&amp;sla=breached" in page


def test_the_portfolio_flags_projects_with_breaches(client, manager, project, other_project):
    finding(project, "late", timezone.now() - dt.timedelta(days=1))
    finding(other_project, "fine", timezone.now() + dt.timedelta(days=20))
    for p in (project, other_project):
        project_refresh_summary(project_id=p.pk)
    client.force_login(manager)

    page = client.get(reverse("portfolio")).content.decode()

    assert page.count("past SLA</span>") == 1 and "1 past SLA" in page


def test_a_breach_goes_into_the_next_days_digest_once(settings, project, tech_lead):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dev = make_user("dev")
    today = timezone.localdate()
    yesterday_noon = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time(12)))
    finding(project, "Assigned breach", yesterday_noon, assignee=dev)
    finding(project, "Unassigned breach", yesterday_noon)
    finding(project, "Old breach", yesterday_noon - dt.timedelta(days=3))
    finding(project, "Fixed", yesterday_noon, status="fixed")

    reminders_send(today=today)
    reminders_send(today=today)
    reminders_send(today=today + dt.timedelta(days=1))

    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert len(mail.outbox) == 2 and set(bodies) == {dev.email, tech_lead.email}
    assert "Assigned breach" in bodies[dev.email] and "Unassigned breach" not in bodies[dev.email]
    assert "Unassigned breach" in bodies[tech_lead.email]
    assert "FINDINGS PAST THEIR SLA" in bodies[tech_lead.email]
    assert all("Old breach" not in body and "'Fixed'" not in body for body in bodies.values())
