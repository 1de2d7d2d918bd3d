"""Property: any audit exported as Markdown and imported into a new project comes back the same.

Hypothesis generates audits (header, metrics, domain scores, findings, checklists); each one is
saved, exported, imported into a fresh project, compared, and rolled back.
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checklists.models import Checklist, ChecklistItem
from findings.models import Finding
from governance.models import PolicyException
from projects.models import Audit, DomainScore, MaturityDomain, Project
from reports.export import audit_to_markdown
from reports.services import report_import
from scoring import services as scoring

WORDS = [
    "cache",
    "token",
    "upload",
    "session",
    "query",
    "login",
    "invoice",
    "queue",
    "worker",
    "retry",
    "timeout",
    "header",
    "cookie",
    "secret",
    "backup",
    "schema",
    "index",
    "mail",
    "payment",
    "Redis",
    "Celery",
    "nginx",
    "TLS",
    "S3",
    "quota",
    "webhook",
    "cron",
    "JWT",
]
DOMAIN_SLUGS = [
    "code-quality",
    "security",
    "testing",
    "documentation",
    "architecture",
    "deployment",
    "observability",
    "performance",
    "reliability",
]
METRIC_INTS = [
    "tests_passed",
    "tests_failed",
    "tests_errors",
    "tests_skipped",
    "security_critical",
    "security_high",
    "security_medium",
    "security_low",
    "files_count",
    "lines_of_code",
    "warnings_count",
]
COMPARED = [
    "title",
    "audit_date",
    "version_label",
    "stated_verdict",
    "global_score",
    "tests_duration_seconds",
    "coverage_percent",
    "branch_coverage_percent",
    "extra_metrics",
    *METRIC_INTS,
]


class Rollback(Exception):
    pass


phrase = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(" ".join)
optional = st.none().__or__
score = st.integers(0, 100).map(lambda n: Decimal(n) / 10)
hundredths = st.integers(0, 10_000).map(lambda n: (Decimal(n) / 100).quantize(Decimal("0.01")))

findings = st.lists(
    st.fixed_dictionaries(
        {
            "title": phrase,
            "severity": st.integers(0, 4),
            "status": st.sampled_from([s.value for s in Finding.Status]),
            "file_path": st.sampled_from(
                [
                    "",
                    "app/views.py",
                    "config/settings.py",
                    "web/app.js",
                    "Dockerfile",
                    ".env",
                    "deploy/k8s/api.yaml",
                ]
            ),
            "line": optional(st.integers(1, 5000)),
        }
    ),
    max_size=6,
    unique_by=lambda f: f["title"].lower(),
)
items = st.lists(
    st.fixed_dictionaries(
        {
            "text": phrase,
            "state": st.sampled_from(["done", "todo", "na"]),
            "section": st.sampled_from(["", "Before release", "After release"]),
            "note": phrase,
        }
    ),
    min_size=1,
    max_size=6,
)
checklists = st.lists(st.tuples(phrase, items), max_size=3, unique_by=lambda c: c[0].lower())

audits = st.fixed_dictionaries(
    {
        "title": phrase.map(lambda p: f"Audit of {p}"),
        "audit_date": optional(st.dates(dt.date(2000, 1, 1), dt.date(2035, 12, 31))),
        "version_label": st.sampled_from(["", "1.0", "v2.3.1", "2025.06"]),
        "stated_verdict": st.sampled_from([v.value for v in Audit.Verdict]),
        "metrics": st.fixed_dictionaries({name: optional(st.integers(0, 10**6)) for name in METRIC_INTS}),
        "coverage_percent": optional(hundredths),
        "branch_coverage_percent": optional(hundredths),
        "tests_duration_seconds": optional(st.integers(0, 10**7).map(lambda n: n / 100)),
        "response_time_ms": optional(st.integers(0, 10**6).map(lambda n: n / 10)),
        "scores": st.dictionaries(st.sampled_from(DOMAIN_SLUGS), optional(score)),
        "stated_global_score": optional(score),
        "already_in_production": st.booleans(),
        "findings": findings,
        "checklists": checklists,
    }
)


def make_audit(spec: dict) -> Audit:
    project = Project.objects.create(name="Original", slug="original")
    extra = {}
    if spec["response_time_ms"] is not None:
        extra["response_time_ms"] = spec["response_time_ms"]
    if spec["already_in_production"]:
        extra["already_in_production"] = True
    audit = Audit.objects.create(
        project=project,
        kind=Audit.Kind.MANUAL,
        status=Audit.Status.COMPLETED,
        title=spec["title"],
        audit_date=spec["audit_date"],
        version_label=spec["version_label"],
        stated_verdict=spec["stated_verdict"],
        coverage_percent=spec["coverage_percent"],
        branch_coverage_percent=spec["branch_coverage_percent"],
        tests_duration_seconds=spec["tests_duration_seconds"],
        extra_metrics=extra,
        stated_global_score=spec["stated_global_score"],
        **spec["metrics"],
    )
    domains = {d.slug: d for d in MaturityDomain.objects.all()}
    DomainScore.objects.bulk_create(
        [
            DomainScore(audit=audit, domain=domains[slug], score=value)
            for slug, value in spec["scores"].items()
        ]
    )
    scoring.audit_refresh_global(audit_id=audit.pk)
    for i, f in enumerate(spec["findings"]):
        Finding.objects.create(
            project=project,
            first_seen_audit=audit,
            last_seen_audit=audit,
            fingerprint=str(i),
            title=f["title"],
            severity=f["severity"],
            status=f["status"],
            file_path=f["file_path"],
            line=f["line"] if f["file_path"] else None,
        )
    for title, checklist_items in spec["checklists"]:
        checklist = Checklist.objects.create(project=project, audit=audit, title=title)
        ChecklistItem.objects.bulk_create(
            [
                ChecklistItem(
                    checklist=checklist,
                    order=n,
                    text=item["text"],
                    state=item["state"],
                    section=item["section"],
                    note=item["note"] if item["state"] == "na" else "",
                )
                for n, item in enumerate(checklist_items)
            ]
        )
    return Audit.objects.get(pk=audit.pk)


CLAIMED = ("accepted_risk", "false_positive")


def state_of(audit: Audit) -> dict:
    checklists = []
    for checklist in Checklist.objects.filter(audit=audit).order_by("id"):
        checklists.append(
            (checklist.title, sorted(checklist.items.values_list("section", "text", "state", "note")))
        )
    return {
        **{name: getattr(audit, name) for name in COMPARED},
        "scores": dict(audit.domain_scores.values_list("domain__slug", "score")),
        "findings": sorted(
            Finding.objects.filter(project=audit.project).values_list(
                "title", "severity", "status", "file_path", "line"
            )
        ),
        "checklists": checklists,
    }


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=audits)
def test_an_exported_audit_imports_into_a_new_project_with_the_same_values(db, spec):
    try:
        with transaction.atomic():
            original = make_audit(spec)
            markdown = audit_to_markdown(original)
            target = Project.objects.create(name="Copy", slug="copy")
            copy = report_import(content=markdown.encode(), file_name="export.md", project=target).audit
            copy = Audit.objects.get(pk=copy.pk)
            assert copy.kind == Audit.Kind.IMPORTED
            expected = state_of(original)
            # A report cannot close a finding by stating it: an accepted risk or false positive
            # comes back open, with a pending exception of that reason for someone to approve.
            claimed = sorted((f[0], f[2]) for f in expected["findings"] if f[2] in CLAIMED)
            expected["findings"] = sorted(
                (title, severity, "open" if status in CLAIMED else status, path, line)
                for title, severity, status, path, line in expected["findings"]
            )
            pending = PolicyException.objects.filter(project=target, state="pending", origin="report")
            assert sorted(pending.values_list("finding__title", "reason")) == claimed
            if spec["already_in_production"]:
                # "Already in production" is how the export states it: a production-ready verdict.
                expected["stated_verdict"] = Audit.Verdict.PRODUCTION_READY
            assert state_of(copy) == expected, markdown
            # A stated global comes back as stated; otherwise the exported global is the stated one.
            assert copy.stated_global_score == (
                original.stated_global_score
                if original.stated_global_score is not None
                else original.global_score
            )
            raise Rollback
    except Rollback:
        pass
