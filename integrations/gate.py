"""The CI gate ("clean as you audit"): is what this upload changed acceptable?

Judged on what changed since the baseline, the previous successful import of the same tool in
the project, else the project's latest completed audit:
- new or reopened critical or high findings of this import;
- new secrets (findings of a secrets scanner or a hard-coded credential CWE), any severity;
- line coverage dropped more than CI_GATE_COVERAGE_DROP points below the baseline's.
Without a baseline (a first import and no completed audit) the project is judged overall: any
open critical or high finding, any open secret. Each reason carries a link.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Q, QuerySet
from django.urls import reverse

from findings.models import Finding, ImportRun, Severity
from projects.models import Audit

SECRET_TOOLS = ("secrets", "detect-secrets", "gitleaks", "trufflehog")
SECRET_CWES = ("CWE-798", "CWE-259", "CWE-321", "CWE-522")
LISTED = 20  # findings named per reason; the count says how many in all


@dataclass
class Reason:
    code: str
    message: str
    url: str
    findings: list[dict] = field(default_factory=list)


def _link(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def _rows(findings: QuerySet) -> list[dict]:
    return [
        {
            "id": f.pk,
            "title": f.title,
            "severity": Severity(f.severity).label.lower(),
            "url": _link("admin:findings_finding_change", f.pk),
        }
        for f in findings.order_by("-severity", "pk")[:LISTED]
    ]


def _secret_q() -> Q:
    return Q(tool__in=SECRET_TOOLS) | Q(cwe__in=SECRET_CWES)


def baseline_for(run: ImportRun) -> ImportRun | Audit | None:
    previous = (
        ImportRun.objects.filter(
            project_id=run.project_id,
            tool=run.tool,
            status=ImportRun.Status.SUCCEEDED,
            created_at__lt=run.created_at,
        )
        .exclude(pk=run.pk)
        .order_by("-created_at")
        .first()
    )
    if previous is not None:
        return previous
    return (
        Audit.objects.filter(project_id=run.project_id, status=Audit.Status.COMPLETED)
        .order_by("-audit_date", "-pk")
        .first()
    )


def _coverage_before(run: ImportRun, baseline: ImportRun | Audit) -> Decimal | None:
    earlier = (
        ImportRun.objects.filter(
            project_id=run.project_id,
            status=ImportRun.Status.SUCCEEDED,
            created_at__lt=run.created_at,
            metrics__has_key="coverage_percent",
        )
        .exclude(pk=run.pk)
        .order_by("-created_at")
        .values_list("metrics", flat=True)
        .first()
    )
    if earlier and earlier.get("coverage_percent") is not None:
        return Decimal(str(earlier["coverage_percent"]))
    audit = baseline if isinstance(baseline, Audit) else None
    return audit.coverage_percent if audit is not None else None


def _changed_by(run: ImportRun, mine: QuerySet) -> tuple[QuerySet, QuerySet]:
    """The findings this import created and reopened. An import stamps every finding it sees
    with one time (last seen; first seen when created, reopened when reopened), and imports of a
    project run one after the other, so the latest "last seen" of the tool is this run's stamp."""
    none = mine.none()
    if not (run.created_count or run.reopened_count):
        return none, none
    stamp = Finding.objects.filter(project_id=run.project_id, tool=run.tool).aggregate(
        at=Max("last_seen_at")
    )["at"]
    if stamp is None:
        return none, none
    new = mine.filter(first_seen_at=stamp) if run.created_count else none
    reopened = mine.filter(reopened_at=stamp, first_seen_at__lt=stamp) if run.reopened_count else none
    return new, reopened


def gate_reasons(run: ImportRun) -> tuple[list[Reason], str]:
    """The reasons the gate fails (empty: it passes) and what it was judged against."""
    run_url = _link("admin:findings_importrun_change", run.pk)
    active = Finding.objects.filter(project_id=run.project_id, status__in=Finding.ACTIVE_STATUSES)
    baseline = baseline_for(run)
    reasons: list[Reason] = []
    if baseline is None:
        serious = active.filter(severity__gte=Severity.HIGH)
        if count := serious.count():
            reasons.append(
                Reason(
                    "open_critical_high",
                    f"{count} open critical or high finding(s) in the project (first import, judged overall)",
                    run_url,
                    _rows(serious),
                )
            )
        secrets = active.filter(_secret_q())
        if count := secrets.count():
            reasons.append(
                Reason(
                    "open_secrets",
                    f"{count} open secret(s) in the project (first import, judged overall)",
                    run_url,
                    _rows(secrets),
                )
            )
        return reasons, "overall"
    new, reopened = _changed_by(run, active.filter(tool=run.tool))
    for code, rows, word in (
        ("new_critical_high", new, "new"),
        ("reopened_critical_high", reopened, "reopened"),
    ):
        serious = rows.filter(severity__gte=Severity.HIGH)
        if count := serious.count():
            reasons.append(
                Reason(code, f"{count} {word} critical or high finding(s)", run_url, _rows(serious))
            )
    secrets = new.filter(_secret_q())
    if count := secrets.count():
        reasons.append(Reason("new_secrets", f"{count} new secret(s)", run_url, _rows(secrets)))
    measured = (run.metrics or {}).get("coverage_percent")
    before = _coverage_before(run, baseline)
    if measured is not None and before is not None:
        now = Decimal(str(measured))
        drop = Decimal(str(before)) - now
        if drop > Decimal(str(settings.CI_GATE_COVERAGE_DROP)):
            reasons.append(
                Reason(
                    "coverage_drop",
                    f"line coverage dropped {drop:.1f} points, from {before:.1f}% to {now:.1f}% "
                    f"(more than {settings.CI_GATE_COVERAGE_DROP:g} allowed, CI_GATE_COVERAGE_DROP)",
                    run_url,
                )
            )
    judged = f"import {baseline.pk}" if isinstance(baseline, ImportRun) else f"audit {baseline.pk}"
    return reasons, judged


def gate_evaluate(run: ImportRun) -> dict:
    """The `gate` object of the upload's answer."""
    reasons, judged = gate_reasons(run)
    return {
        "verdict": "fail" if reasons else "pass",
        "baseline": judged,
        "reasons": [asdict(reason) for reason in reasons],
    }
