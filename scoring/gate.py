"""The global score of an audit and its readiness gate (docs/scoring.md).

Global score: the weighted mean of the measured domains, at most the lowest global cap a computed
domain score carries. Readiness gate: the verdict computed from the global score, the open
critical and high findings and the critical checklist items still to do, and how it compares
with the verdict the audit states.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q

from checklists.models import ChecklistItem, ItemState
from findings.models import Finding, Severity
from projects.models import Audit
from scoring.selectors import audit_checklist_q

ZERO = Decimal("0")
ONE_DECIMAL = Decimal("0.1")
GATE_READY_MIN = Decimal("7.0")
GATE_RESERVATIONS_MIN = Decimal("5.5")

VERDICT_RANK = {
    Audit.Verdict.NOT_READY: 0,
    Audit.Verdict.WITH_RESERVATIONS: 1,
    Audit.Verdict.PRODUCTION_READY: 2,
}


def round_one(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def global_score(scores: list[tuple[Decimal | None, Decimal]]) -> Decimal | None:
    """Weighted mean of measured (score, weight) pairs; None when nothing is measured."""
    measured = [(s, w) for s, w in scores if s is not None and w > 0]
    total_weight = sum((w for _, w in measured), ZERO)
    if not total_weight:
        return None
    return round_one(sum((Decimal(s) * w for s, w in measured), ZERO) / total_weight)


def readiness_verdict(
    *, global_score: Decimal | None, open_critical: int, open_high: int, critical_items_todo: int
) -> str:
    """The readiness gate.

    production ready: no open critical or high finding, every critical item done, global >= 7;
    ready with reservations: no open critical finding and global >= 5.5;
    not production ready: otherwise. Unknown when nothing is measured and no critical is open.
    """
    if global_score is None:
        return Audit.Verdict.NOT_READY if open_critical else Audit.Verdict.UNKNOWN
    if not open_critical and not open_high and not critical_items_todo and global_score >= GATE_READY_MIN:
        return Audit.Verdict.PRODUCTION_READY
    if not open_critical and global_score >= GATE_RESERVATIONS_MIN:
        return Audit.Verdict.WITH_RESERVATIONS
    return Audit.Verdict.NOT_READY


def verdict_mismatch(audit: Audit) -> str:
    """'' when consistent; 'overstated' when the stated verdict is better than the gate's;
    'understated' when it is worse. Unknown on either side is never a mismatch."""
    stated = VERDICT_RANK.get(audit.stated_verdict)
    computed = VERDICT_RANK.get(audit.computed_verdict)
    if stated is None or computed is None or stated == computed:
        return ""
    return "overstated" if stated > computed else "understated"


def gate_inputs(audit: Audit) -> dict[str, int]:
    counts = Finding.objects.filter(
        project_id=audit.project_id,
        status__in=Finding.ACTIVE_STATUSES,
        severity__gte=Severity.HIGH,
    ).aggregate(
        critical=Count("id", filter=Q(severity=Severity.CRITICAL)),
        high=Count("id", filter=Q(severity=Severity.HIGH)),
    )
    critical_todo = ChecklistItem.objects.filter(
        audit_checklist_q(audit, "checklist__"), is_critical=True, state=ItemState.TODO
    ).count()
    return {
        "open_critical": counts["critical"],
        "open_high": counts["high"],
        "critical_items_todo": critical_todo,
    }


def capped_global(value: Decimal | None, cap: Decimal | None) -> Decimal | None:
    if value is None or cap is None:
        return value
    return min(value, cap)
