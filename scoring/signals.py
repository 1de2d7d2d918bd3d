"""Signals of the scoring app: an audit's stored scores or readiness gate changed.

Both are sent once the recompute's transaction commits (never for a rolled-back one), once per
audit and transaction, and only when something changed. `sender` is `Audit`.

- `scores_changed`: kwargs `project`, `audit`, `changes` = {domain slug or "global": (old, new)},
  floats or None (not measured), only the entries that changed.
- `gate_changed`: kwargs `project`, `audit`, `old`, `new`: the computed verdicts
  (`Audit.Verdict` values).

Every path that writes scores compares before and after: a recompute from new evidence, a score
edited by hand in the admin (its old value is remembered before the save, so one signal says
both the domain and the global score), and a change of domain weights (the latest completed
audit of each project; its global score and gate).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.dispatch import Signal

from projects.events import once_after_commit
from projects.models import Audit, DomainScore

scores_changed = Signal()
gate_changed = Signal()

GLOBAL = "global"


@dataclass(frozen=True)
class ScoreState:
    """What an audit stores: global score, computed verdict and its domain scores by slug.
    domains None: the domain scores are not compared (they cannot have changed)."""

    global_score: Decimal | None
    verdict: str
    domains: Mapping[str, Decimal | None] | None


def score_state(audit: Audit, *, domains: bool = True) -> ScoreState:
    """The audit's stored state, from the audit as loaded (one query for its domain scores)."""
    by_slug = (
        dict(DomainScore.objects.filter(audit_id=audit.pk).values_list("domain__slug", "score"))
        if domains
        else None
    )
    return ScoreState(audit.global_score, audit.computed_verdict, by_slug)


def _remembered() -> dict[int, ScoreState]:
    # Per connection, like the transaction the edits run in.
    states = getattr(connection, "_scoring_states_before", None)
    if states is None:
        states = connection._scoring_states_before = {}
    return states


def remember_state(*, audit_id: int) -> None:
    """Keep the audit's current state for the recompute that follows an edit of one of its domain
    scores (called before the edit is saved; the first call wins until a recompute takes it)."""
    states = _remembered()
    if audit_id not in states:
        audit = Audit.objects.filter(pk=audit_id).only("global_score", "computed_verdict").first()
        if audit is not None:
            states[audit_id] = score_state(audit)


def state_before(audit: Audit) -> ScoreState:
    """The state a recompute compares with: the one remembered before an edit, else the audit's
    stored state now (call it before writing)."""
    remembered = _remembered().pop(audit.pk, None)
    return remembered if remembered is not None else score_state(audit)


def forget_state(*, audit_id: int) -> None:
    """A recompute wrote the audit: what was remembered during it is not an edit of its own."""
    _remembered().pop(audit_id, None)


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def changes_between(before: ScoreState, after: ScoreState) -> dict[str, tuple[float | None, float | None]]:
    changes: dict[str, tuple[float | None, float | None]] = {}
    if before.domains is not None and after.domains is not None:
        for slug in sorted(set(before.domains) | set(after.domains)):
            old, new = before.domains.get(slug), after.domains.get(slug)
            if old != new:
                changes[slug] = (_number(old), _number(new))
    if before.global_score != after.global_score:
        changes[GLOBAL] = (_number(before.global_score), _number(after.global_score))
    return changes


def announce_changes(*, audit_id: int, before: ScoreState) -> None:
    """Call after writing an audit's scores: once the transaction commits (at once outside one),
    compare what it stores with `before` and send the signals that apply. Several calls for one
    audit in one transaction send once, compared with the first call's state."""

    def send() -> None:
        audit = Audit.objects.select_related("project").filter(pk=audit_id).first()
        if audit is None:
            return
        after = score_state(audit, domains=before.domains is not None)
        changes = changes_between(before, after)
        if changes:
            scores_changed.send(sender=Audit, project=audit.project, audit=audit, changes=changes)
        if before.verdict != after.verdict:
            gate_changed.send(
                sender=Audit, project=audit.project, audit=audit, old=before.verdict, new=after.verdict
            )

    once_after_commit(("scores-changed", audit_id), send)
