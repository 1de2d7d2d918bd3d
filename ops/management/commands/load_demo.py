"""Load the demo portfolio (idempotent: objects are matched by natural keys, never duplicated)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding, Severity
from ops.demo.data import PROJECTS, USERS
from projects.models import Audit, DomainScore, MaturityDomain, Project
from scoring import services as scoring

SEVERITIES = {s.label.lower(): s.value for s in Severity}


class Command(BaseCommand):
    help = "Create demo users and a demo portfolio of five projects (safe to run repeatedly)."

    @transaction.atomic
    def handle(self, *args, **options):
        users = self._users()
        domains = {d.slug: d for d in MaturityDomain.objects.all()}
        today = timezone.localdate()
        for spec in PROJECTS:
            lead = users.get(spec["lead"]) if spec["lead"] else None
            project, _ = Project.objects.get_or_create(
                slug=spec["slug"],
                defaults={
                    "name": spec["name"],
                    "description": spec["description"],
                    "repository_url": spec["repository_url"],
                    "tech_lead": lead,
                },
            )
            audits = [self._audit(project, a, domains, users["auditor"], today) for a in spec["audits"]]
            self._findings(project, spec["findings"], audits, domains)
            self._checklist(project, spec["checklist"], domains, lead or users["admin"], today, users)
            # Domains without a stated score are computed from the evidence just loaded.
            scoring.project_recompute(project_id=project.pk)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(PROJECTS)} projects."))
        if settings.DEBUG:
            self.stdout.write("Demo users (DEBUG only):")
            for username, password, role, _ in USERS:
                self.stdout.write(f"  {username:8} / {password:16} {role or 'Admin'}")

    def _users(self) -> dict[str, User]:
        users = {}
        for username, password, role, first_name in USERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User.objects.create_user(
                    username=username,
                    password=password,
                    email=f"{username}@example.com",
                    first_name=first_name,
                    is_staff=True,
                    is_superuser=role is None,
                )
                if role:
                    user.groups.add(Group.objects.get(name=role))
            users[username] = user
        return users

    def _audit(self, project, spec, domains, auditor, today) -> Audit:
        date = today - dt.timedelta(days=spec["days_ago"])
        audit, created = Audit.objects.get_or_create(
            project=project,
            title=spec["title"],
            defaults={
                "audit_date": date,
                "status": Audit.Status.COMPLETED,
                "stated_verdict": spec["verdict"],
                "auditor": auditor,
                "version_label": spec.get("version", ""),
                "kind": Audit.Kind.MANUAL,
                **spec["metrics"],
            },
        )
        if created:
            scores = []
            for slug, value in spec["scores"].items():
                scores.append(
                    DomainScore(
                        audit=audit,
                        domain=domains[slug],
                        score=Decimal(str(value)),
                        source=DomainScore.Source.MANUAL,
                        rationale="Entered from the audit report.",
                    )
                )
            DomainScore.objects.bulk_create(scores)
            if "stated_global" in spec:
                audit.stated_global_score = Decimal(spec["stated_global"])
                audit.save(update_fields=["stated_global_score"])
            # Global score and readiness gate through the one scoring module.
            scoring.audit_refresh_global(audit_id=audit.pk)
        return audit

    def _findings(self, project, specs, audits, domains) -> None:
        now = timezone.now()
        for title, severity, domain, status, tool, rule, path, line in specs:
            fingerprint = hashlib.sha256(f"demo|{project.slug}|{title}".encode()).hexdigest()
            Finding.objects.get_or_create(
                project=project,
                fingerprint=fingerprint,
                defaults={
                    "title": title,
                    "severity": SEVERITIES[severity],
                    "domain": domains[domain],
                    "status": status,
                    "tool": tool,
                    "rule_id": rule,
                    "file_path": path,
                    "line": line,
                    "first_seen_audit": audits[0],
                    "last_seen_audit": audits[-1],
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "status_changed_at": now,
                    "fixed_at": now if status == "fixed" else None,
                },
            )

    def _checklist(self, project, spec, domains, owner, today, users) -> None:
        checklist, created = Checklist.objects.get_or_create(
            project=project,
            title=spec["title"],
            defaults={"owner": owner, "due_date": today + dt.timedelta(days=spec["days_due"])},
        )
        if not created:
            return
        now = timezone.now()
        ChecklistItem.objects.bulk_create(
            ChecklistItem(
                checklist=checklist,
                order=i,
                section=section,
                text=text,
                is_critical=critical,
                domain=domains[domain],
                state=state,
                checked_by=owner if state == "done" else None,
                checked_at=now if state == "done" else None,
            )
            for i, (section, text, critical, domain, state) in enumerate(spec["items"], start=1)
        )
