"""Formula 1.0: a penalty per open finding subtracted from 10 (docs/scoring.md, appendix).

Replaced by formula 2.0 (scoring.formula); kept so that scores stored under it can be previewed
against 2.0 and an explicit `recompute_scores --apply-formula 1.0` can still roll back. Unlike
2.0 it reads its evidence itself (open findings and checklist items of the audit's project).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count

from checklists.models import ChecklistItem, ItemState
from findings.models import Finding, Severity
from projects.models import Audit, MaturityDomain
from scoring import links
from scoring.evidence import EVIDENCE_FINDINGS_LISTED
from scoring.gate import ZERO, round_one
from scoring.selectors import audit_checklist_q

VERSION = "1.0"
# Formula 1.0: penalty per open finding of a domain, by severity (Info, Low, Medium, High, Critical).
SEVERITY_PENALTY = {
    0: Decimal("0"),
    1: Decimal("0.1"),
    2: Decimal("0.5"),
    3: Decimal("1.5"),
    4: Decimal("3.0"),
}
CRITICAL_FINDING_CAP = Decimal("3.0")
CRITICAL_ITEM_CAP = Decimal("5.0")
# Domain whose score also uses the audit's test metrics.
TESTING_DOMAIN_SLUG = "testing"
TEN = Decimal("10")


def _clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(TEN, value))


def evidence_by_domain(audit: Audit) -> dict[int, dict]:
    """Everything that counts for each domain of an audit, in a constant number of queries."""
    evidence: dict[int, dict] = defaultdict(
        lambda: {
            "done": 0,
            "applicable": 0,
            "critical_todo": [],
            "items": [],
            "finding_counts": defaultdict(int),
            "findings": [],
        }
    )

    items = (
        ChecklistItem.objects.filter(
            audit_checklist_q(audit, "checklist__"), domain__isnull=False, carried=False
        )
        .values("id", "checklist_id", "checklist__title", "domain_id", "text", "state", "is_critical")
        .order_by("checklist_id", "order", "id")
    )
    for item in items:
        ev = evidence[item["domain_id"]]
        if item["state"] == ItemState.NOT_APPLICABLE:
            continue
        ev["applicable"] += 1
        if item["state"] == ItemState.DONE:
            ev["done"] += 1
        elif item["is_critical"]:
            ev["critical_todo"].append(item)
        ev["items"].append(item)

    open_findings = Finding.objects.filter(
        project_id=audit.project_id, status__in=Finding.ACTIVE_STATUSES, domain__isnull=False
    )
    for row in open_findings.values("domain_id", "severity").annotate(n=Count("id")).order_by():
        evidence[row["domain_id"]]["finding_counts"][row["severity"]] += row["n"]
    # The worst findings of each domain, listed one by one in the "why" (bounded query).
    listed = (
        open_findings.filter(severity__gte=1)
        .order_by("-severity", "-id")
        .values("id", "domain_id", "title", "severity")[: EVIDENCE_FINDINGS_LISTED * 10]
    )
    for finding in listed:
        ev = evidence[finding["domain_id"]]
        if len(ev["findings"]) < EVIDENCE_FINDINGS_LISTED:
            ev["findings"].append(finding)
    return evidence


def _testing_components(audit: Audit) -> list[tuple[Decimal, dict]]:
    components = []
    url = links.audit_url(audit) + "#metrics"
    if audit.coverage_percent is not None:
        value = _clamp(Decimal(audit.coverage_percent) / TEN)
        components.append(
            (
                value,
                {
                    "kind": "metric",
                    "label": f"Line coverage {audit.coverage_percent:g}%",
                    "url": url,
                    "effect": f"component {round_one(value)}",
                },
            )
        )
    passed = audit.tests_passed or 0
    failing = (audit.tests_failed or 0) + (audit.tests_errors or 0)
    if audit.tests_passed is not None or failing:
        total = passed + failing
        if total:
            value = _clamp(TEN * passed / total)
            components.append(
                (
                    value,
                    {
                        "kind": "metric",
                        "label": f"Tests: {passed} passed, {failing} failing or in error",
                        "url": url,
                        "effect": f"component {round_one(value)}",
                    },
                )
            )
    return components


def score_domain(
    audit: Audit, domain: MaturityDomain, ev: dict | None
) -> tuple[Decimal | None, list[dict], str]:
    """Formula 1.0: (score or None when not measured, evidence list, rationale) of one domain."""
    components: list[Decimal] = []
    why: list[dict] = []
    ev = ev or {
        "done": 0,
        "applicable": 0,
        "critical_todo": [],
        "items": [],
        "finding_counts": {},
        "findings": [],
    }

    if ev["applicable"]:
        value = TEN * ev["done"] / ev["applicable"]
        components.append(value)
        why.append(
            {
                "kind": "checklist",
                "label": f"Checklist items done: {ev['done']} of {ev['applicable']} applicable",
                "url": links.checklist_url(ev["items"][0]["checklist_id"]),
                "effect": f"component {round_one(value)}",
            }
        )
        for item in ev["items"]:
            state = "done" if item["state"] == "done" else "to do"
            why.append(
                {
                    "kind": "checklist_item",
                    "label": f"{item['text']} ({state}{', critical' if item['is_critical'] else ''})",
                    "url": links.checklist_url(item["checklist_id"]),
                    "effect": "",
                }
            )

    if domain.slug == TESTING_DOMAIN_SLUG:
        for value, entry in _testing_components(audit):
            components.append(value)
            why.append(entry)

    counts = ev["finding_counts"]
    has_findings = any(counts.values()) if counts else False
    if not components and not has_findings:
        return None, [], "Not measured: no checklist item, open finding or metric for this domain."

    base = sum(components, ZERO) / len(components) if components else TEN
    penalty = sum((SEVERITY_PENALTY[sev] * n for sev, n in counts.items()), ZERO)
    score = _clamp(base - penalty)
    if penalty:
        summary = ", ".join(
            f"{n} {Severity(sev).label.lower()}" for sev, n in sorted(counts.items(), reverse=True) if n
        )
        why.append(
            {
                "kind": "findings",
                "label": f"Open findings: {summary}",
                "url": "",
                "effect": f"-{round_one(penalty)}",
            }
        )
    for finding in ev["findings"]:
        why.append(
            {
                "kind": "finding",
                "label": f"[{Severity(finding['severity']).label}] {finding['title']}",
                "url": links.finding_url(finding["id"]),
                "effect": f"-{SEVERITY_PENALTY[finding['severity']]}",
            }
        )

    caps = []
    if counts.get(Severity.CRITICAL):
        caps.append((CRITICAL_FINDING_CAP, "an open critical finding"))
    if ev["critical_todo"]:
        caps.append((CRITICAL_ITEM_CAP, "a critical checklist item still to do"))
        for item in ev["critical_todo"]:
            why.append(
                {
                    "kind": "cap",
                    "label": f"Critical item to do: {item['text']}",
                    "url": links.checklist_url(item["checklist_id"]),
                    "effect": f"caps at {CRITICAL_ITEM_CAP}",
                }
            )
    for cap, reason in caps:
        if score > cap:
            score = cap
            why.insert(
                0, {"kind": "cap", "label": f"Capped at {cap} by {reason}", "url": "", "effect": f"cap {cap}"}
            )
    score = round_one(score)
    rationale = (
        f"Computed (formula {VERSION}): base {round_one(base)}"
        f" from {len(components)} component(s), findings penalty {round_one(penalty)}"
        + (f", capped at {min(c for c, _ in caps)}" if caps else "")
        + f" = {score}."
    )
    return score, why, rationale
