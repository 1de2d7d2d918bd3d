"""Run work once the current transaction commits, once per key.

Lower apps announce evidence changes through signals sent with this helper (findings, checklists);
the scoring app listens. Several announcements in one transaction run once.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Hashable
from typing import Any

from django.db import transaction
from django.dispatch import Signal


class _CommitState:
    """The after-commit bookkeeping of one transaction (one run_on_commit list)."""

    def __init__(self, hooks: list[Any]) -> None:
        self.hooks = hooks
        self.pending: set[Hashable] = set()
        self.seq = 0
        self.registered: dict[Hashable, int] = {}  # key -> when it was last asked for
        self.settled: dict[Hashable, int] = {}  # key -> when its work was last done in place

    def tick(self) -> int:
        self.seq += 1
        return self.seq


# The state of the transaction whose after-commit work is running now (see `settled_after`).
_running: contextvars.ContextVar[_CommitState | None] = contextvars.ContextVar("_running", default=None)


def _state() -> _CommitState:
    connection_ = transaction.get_connection()
    # Django replaces run_on_commit with a new list on commit and on (savepoint) rollback:
    # the bookkeeping is only valid while the list it was made for is current.
    state = getattr(connection_, "_auditor_after_commit", None)
    if state is None or state.hooks is not connection_.run_on_commit:
        state = _CommitState(connection_.run_on_commit)
        connection_._auditor_after_commit = state
    return state


def once_after_commit(key: Hashable, func: Callable[[], object]) -> None:
    """Run func once the current transaction commits, once per key and transaction (at once
    outside a transaction). O(1) per call, so a loop saving many rows stays cheap."""
    if not transaction.get_connection().in_atomic_block:
        func()
        return
    state = _state()
    state.registered[key] = state.tick()
    if key in state.pending:
        return
    state.pending.add(key)

    def run() -> None:
        state.pending.discard(key)
        token = _running.set(state)
        try:
            func()
        finally:
            _running.reset(token)

    transaction.on_commit(run)


def settle(key: Hashable) -> None:
    """Say that the work `key` stands for was just done in place, inside the transaction (the
    scores of an audit recomputed, say): after-commit work asked for before now may skip it
    (see `settled_after`). Outside a transaction, nothing to record."""
    if transaction.get_connection().in_atomic_block:
        state = _state()
        state.settled[key] = state.tick()


def settled_after(settled: Hashable, asked: Hashable) -> bool:
    """In after-commit work: whether the transaction that committed settled `settled` after the
    last time it asked for `asked` (so the work asked for is done already). False anywhere else,
    and whenever in doubt (a savepoint rolled back drops the bookkeeping)."""
    state = _running.get()
    if state is None or settled not in state.settled:
        return False
    return state.settled[settled] > state.registered.get(asked, 0)


# Sent after commit when a lower app changed the evidence of a project's scores (findings
# imported or triaged in bulk, checklist items answered). Arguments: sender (the model class
# whose rows changed) and project_id. The scoring app recomputes the project's latest audit.
evidence_changed = Signal()


def announce_evidence_changed(*, sender: type, project_id: int) -> None:
    """Send evidence_changed once the transaction commits, once per project and transaction."""
    once_after_commit(
        ("evidence", project_id), lambda: evidence_changed.send(sender=sender, project_id=project_id)
    )
