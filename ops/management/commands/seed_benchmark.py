"""Create a large synthetic portfolio for the page benchmarks (adds to what exists).

Default size: 1,000 projects, 20,000 audits, 180,000 domain scores, 1,000,000 findings and
10,000 checklists (100,000 items); everything scales with --projects (`--projects 10000`: 10
million findings). On PostgreSQL rows go in with COPY, elsewhere with large bulk_create batches,
--batch projects (50) per transaction: rows are generated, written and dropped batch by batch,
so memory does not grow with the size (peak RSS measured: 152 MB at 1 million findings, 140 MB
at 10 million). Time on the shared 2-CPU development machine (load average 8 to 13): 8.5 minutes
for 1 million, 74 for 10 million, most of it PostgreSQL maintaining the findings indexes.
Portfolio rows (ProjectSummary) are refreshed at the end, as the scoring module would.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem, ItemState
from findings import sla
from findings.models import Finding, Severity
from projects import access
from projects.models import Audit, DomainScore, MaturityDomain, Project
from scoring import gate, summaries

AUDITS_PER_PROJECT = 20
HISTORY_DAYS = 540
FINDINGS_PER_PROJECT = 1000
CHECKLISTS_PER_PROJECT = 10
ITEMS_PER_CHECKLIST = 10
LEADS = 25
SLUG_PREFIX = "bench-"

TOOLS = ["bandit", "ruff", "semgrep", "trivy", "detect-secrets", "manual", "sonar"]
TITLES = [
    "SQL built with string formatting",
    "Hard-coded secret in settings",
    "Missing rate limiting",
    "Unpinned dependency",
    "Broad exception swallowed",
    "Debug mode reachable in production",
    "Function too complex",
    "Missing test for error path",
    "No structured logging",
    "Container runs as root",
    "Outdated base image",
    "N+1 query on list endpoint",
    "Missing timeout on HTTP call",
    "No health check endpoint",
    "Weak password hashing",
]
SEVERITY_WEIGHTS = [
    (Severity.INFO, 20),
    (Severity.LOW, 35),
    (Severity.MEDIUM, 30),
    (Severity.HIGH, 12),
    (Severity.CRITICAL, 3),
]
STATUS_WEIGHTS = [
    (Finding.Status.OPEN, 40),
    (Finding.Status.IN_PROGRESS, 10),
    (Finding.Status.FIXED, 40),
    (Finding.Status.ACCEPTED_RISK, 5),
    (Finding.Status.FALSE_POSITIVE, 5),
]


def _choices(rng, weighted, k):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights, k=k)


class Writer:
    """Inserts rows given as dicts; fills every other column with its model default."""

    def __init__(self, use_copy: bool):
        self.use_copy = use_copy
        self.now = timezone.now()

    def _columns(self, model):
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField | models.BigAutoField))
        ]
        return fields

    def _value(self, field, row):
        name = field.attname
        if name in row:
            value = row[name]
        elif field.name in row:
            value = row[field.name]
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = self.now
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        else:
            value = ""
        if isinstance(field, models.JSONField) and value is not None:
            value = json.dumps(value)
        return value

    def write(self, model, rows: list[dict]) -> None:
        if not rows:
            return
        if not self.use_copy:
            model.objects.bulk_create([model(**row) for row in rows], batch_size=5000)
            return
        fields = self._columns(model)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([self._value(f, row) for f in fields])


class Command(BaseCommand):
    help = "Create a large synthetic portfolio for benchmarks (adds to existing data)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--projects", type=int, default=1000, help="Projects to add (default 1000: 1M findings)."
        )
        parser.add_argument("--findings-per-project", type=int, default=FINDINGS_PER_PROJECT)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--batch", type=int, default=50, help="Projects per transaction (default 50).")

    def handle(self, *args, projects: int, findings_per_project: int, seed: int, batch: int, **options):
        if projects < 1:
            raise CommandError("--projects must be at least 1.")
        started = time.monotonic()
        rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        use_copy = connection.vendor == "postgresql"
        writer = Writer(use_copy)
        domains = list(MaturityDomain.objects.order_by("display_order"))
        leads = self._leads()
        first = Project.objects.filter(slug__startswith=SLUG_PREFIX).count()
        totals = dict.fromkeys(("projects", "audits", "scores", "findings", "checklists", "items"), 0)
        project_ids: list[int] = []
        for start in range(0, projects, batch):
            size = min(batch, projects - start)
            with transaction.atomic():
                ids = self._batch(
                    rng, writer, domains, leads, first + start, size, findings_per_project, totals
                )
            project_ids.extend(ids)
            self.stdout.write(f"  {start + size}/{projects} projects ({time.monotonic() - started:.0f} s)")
        loaded = time.monotonic()
        if use_copy and not connection.in_atomic_block:  # VACUUM cannot run in a transaction
            with connection.cursor() as cursor:
                for model in (Project, Audit, DomainScore, Finding, Checklist, ChecklistItem):
                    cursor.execute(f"VACUUM (ANALYZE) {connection.ops.quote_name(model._meta.db_table)}")
        for project_id in project_ids:
            summaries.project_summary_refresh(project_id=project_id)
        finished = time.monotonic()
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {totals['projects']:,} projects, {totals['audits']:,} audits, "
                f"{totals['scores']:,} domain scores, {totals['findings']:,} findings, "
                f"{totals['checklists']:,} checklists ({totals['items']:,} items) in "
                f"{finished - started:.1f} s (load {loaded - started:.1f} s, analyze and portfolio "
                f"rows {finished - loaded:.1f} s)."
            )
        )

    def _leads(self) -> list[User]:
        group = Group.objects.get(name=access.TECH_LEAD)
        leads = []
        for i in range(LEADS):
            user, created = User.objects.get_or_create(
                username=f"bench-lead-{i:02d}",
                defaults={
                    "first_name": f"Lead {i:02d}",
                    "is_staff": True,
                    "email": f"bench-lead-{i:02d}@example.com",
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(group)
            leads.append(user)
        return leads

    def _batch(self, rng, writer, domains, leads, first, size, findings_per_project, totals):
        today = timezone.localdate()
        slugs = [f"{SLUG_PREFIX}{first + i:06d}" for i in range(size)]
        writer.write(
            Project,
            [
                {
                    "name": f"Benchmark service {first + i:06d}",
                    "slug": slug,
                    "description": "Synthetic project for the page benchmarks.",
                    "tech_lead_id": leads[(first + i) % len(leads)].pk,
                    "is_active": True,
                    "branch": "main",
                    "enabled_scanners": [],
                    "scan_schedule": "0 2 * * *" if i % 3 == 0 else "",
                    "next_scan_at": (
                        timezone.now() + dt.timedelta(hours=rng.randint(1, 48)) if i % 3 == 0 else None
                    ),
                }
                for i, slug in enumerate(slugs)
            ],
        )
        projects = dict(Project.objects.filter(slug__in=slugs).values_list("slug", "pk"))
        ids = [projects[s] for s in slugs]
        totals["projects"] += size

        # Findings first (kept in memory), so each audit's verdict follows its project's open
        # findings; one project in four has fixed all its critical and high findings.
        findings_of = {}
        for n, project_id in enumerate(ids):
            severities = _choices(rng, SEVERITY_WEIGHTS, findings_per_project)
            statuses = _choices(rng, STATUS_WEIGHTS, findings_per_project)
            if (first + n) % 4 == 0:
                statuses = [
                    Finding.Status.FIXED if sev >= Severity.HIGH else st
                    for sev, st in zip(severities, statuses, strict=True)
                ]
            active = [
                sev for sev, st in zip(severities, statuses, strict=True) if st in Finding.ACTIVE_STATUSES
            ]
            findings_of[project_id] = (
                severities,
                statuses,
                active.count(Severity.CRITICAL),
                active.count(Severity.HIGH),
            )

        audit_rows = []
        for project_id in ids:
            level = rng.uniform(3.0, 9.0)
            last = today - dt.timedelta(days=rng.randint(0, 150))
            for a in range(AUDITS_PER_PROJECT):
                date = last - dt.timedelta(days=45 * (AUDITS_PER_PROJECT - 1 - a))
                audit_rows.append(
                    {
                        "project_id": project_id,
                        "kind": rng.choice(list(Audit.Kind.values)),
                        "title": f"Audit {a + 1}",
                        "audit_date": date,
                        "valid_until": date + dt.timedelta(days=90),
                        "status": Audit.Status.COMPLETED,
                        "stated_verdict": rng.choice(
                            [
                                Audit.Verdict.PRODUCTION_READY,
                                Audit.Verdict.WITH_RESERVATIONS,
                                Audit.Verdict.NOT_READY,
                            ]
                        ),
                        "coverage_percent": Decimal(rng.randint(30, 95)),
                        "tests_passed": rng.randint(50, 900),
                        "tests_failed": rng.randint(0, 5),
                        "_level": level + (a - AUDITS_PER_PROJECT) * 0.05,
                    }
                )
        for row in audit_rows:
            row["_scores"] = [
                Decimal(str(round(max(0.0, min(10.0, rng.gauss(row["_level"], 1.3))), 1))) for _ in domains
            ]
            row["global_score"] = gate.global_score(
                [(s, d.weight) for s, d in zip(row["_scores"], domains, strict=True)]
            )
            _sev, _st, open_critical, open_high = findings_of[row["project_id"]]
            row["computed_verdict"] = gate.readiness_verdict(
                global_score=row["global_score"],
                open_critical=open_critical,
                open_high=open_high,
                critical_items_todo=0,
            )
        writer.write(Audit, [{k: v for k, v in r.items() if not k.startswith("_")} for r in audit_rows])
        audit_ids = {}
        for pk, project_id, title in Audit.objects.filter(project_id__in=ids).values_list(
            "pk", "project_id", "title"
        ):
            audit_ids[(project_id, title)] = pk
        score_rows = []
        for row in audit_rows:
            audit_id = audit_ids[(row["project_id"], row["title"])]
            row["id"] = audit_id
            for domain, score in zip(domains, row["_scores"], strict=True):
                score_rows.append(
                    {
                        "audit_id": audit_id,
                        "domain_id": domain.pk,
                        "score": score,
                        "source": DomainScore.Source.MANUAL,
                        "rationale": "Benchmark data.",
                        "evidence": [],
                    }
                )
        writer.write(DomainScore, score_rows)
        totals["audits"] += len(audit_rows)
        totals["scores"] += len(score_rows)

        finding_rows = []
        now = timezone.now()
        latest_audit = {
            row["project_id"]: row["id"]
            for row in audit_rows
            if row["title"] == f"Audit {AUDITS_PER_PROJECT}"
        }
        sla_days = {int(s): d for s, d in sla.days_by_severity(None).items()}
        for project_id in ids:
            severities, statuses, _c, _h = findings_of[project_id]
            for f in range(findings_per_project):
                domain = domains[f % len(domains)] if f % 10 else None
                # History for the trends page: first seen over the last 18 months, fixed ones
                # after 1 to 200 days (the clock stops at the last moment, never in the future).
                first_seen = now - dt.timedelta(days=(f * 7 + project_id) % HISTORY_DAYS, hours=f % 24)
                fixed_at = None
                if statuses[f] == Finding.Status.FIXED:
                    fixed_at = min(now, first_seen + dt.timedelta(days=1 + (f * 13 + project_id) % 200))
                due = sla.due_at(first_seen, severities[f], sla_days)
                finding_rows.append(
                    {
                        "project_id": project_id,
                        "title": f"{TITLES[f % len(TITLES)]} #{f}",
                        "severity": severities[f],
                        "status": statuses[f],
                        "domain_id": domain.pk if domain else None,
                        "tool": TOOLS[f % len(TOOLS)],
                        "rule_id": f"R{f % 97:03d}",
                        "file_path": f"src/module_{f % 50}.py",
                        "line": f % 400 + 1,
                        "fingerprint": f"bench-{project_id}-{f:07d}",
                        "first_seen_audit_id": latest_audit[project_id],
                        "last_seen_audit_id": latest_audit[project_id],
                        "first_seen_at": first_seen,
                        "last_seen_at": now,
                        "fixed_at": fixed_at,
                        "sla_due_at": due,
                        "fixed_within_sla": None if fixed_at is None else sla.fixed_within(due, fixed_at),
                    }
                )
        writer.write(Finding, finding_rows)
        totals["findings"] += len(finding_rows)

        writer.write(
            Checklist,
            [
                {
                    "project_id": project_id,
                    "title": f"Checklist {c + 1}",
                    "audit_id": latest_audit[project_id] if c == 0 else None,
                    "owner_id": leads[c % len(leads)].pk,
                    "due_date": today + dt.timedelta(days=rng.randint(-20, 60)),
                }
                for project_id in ids
                for c in range(CHECKLISTS_PER_PROJECT)
            ],
        )
        checklist_ids = list(Checklist.objects.filter(project_id__in=ids).values_list("pk", flat=True))
        item_rows = []
        for checklist_id in checklist_ids:
            for i in range(ITEMS_PER_CHECKLIST):
                state = rng.choice([ItemState.DONE, ItemState.DONE, ItemState.TODO])
                item_rows.append(
                    {
                        "checklist_id": checklist_id,
                        "order": i,
                        "text": f"Check {i + 1}",
                        "is_critical": i == 0,
                        "domain_id": domains[i % len(domains)].pk,
                        "state": state,
                    }
                )
        writer.write(ChecklistItem, item_rows)
        totals["checklists"] += len(checklist_ids)
        totals["items"] += len(item_rows)
        return ids
