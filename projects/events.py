"""Run work once the current transaction commits, once per key.

Lower apps announce evidence changes through signals sent with this helper (findings, checklists);
the scoring app listens. Several announcements in one transaction run once.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from django.db import transaction
from django.dispatch import Signal


def once_after_commit(key: Hashable, func: Callable[[], object]) -> None:
    """Run func once the current transaction commits, once per key and transaction (at once
    outside a transaction). O(1) per call, so a loop saving many rows stays cheap."""
    connection_ = transaction.get_connection()
    if not connection_.in_atomic_block:
        func()
        return
    # Django replaces run_on_commit with a new list on commit and on (savepoint) rollback:
    # the pending keys are only valid while the list they were registered in is current.
    state = getattr(connection_, "_auditor_after_commit", None)
    if state is None or state[0] is not connection_.run_on_commit:
        state = (connection_.run_on_commit, set())
        connection_._auditor_after_commit = state
    pending = state[1]
    if key in pending:
        return
    pending.add(key)

    def run() -> None:
        pending.discard(key)
        func()

    transaction.on_commit(run)


# Sent after commit when a lower app changed the evidence of a project's scores (findings
# imported or triaged in bulk, checklist items answered). Arguments: sender (the model class
# whose rows changed) and project_id. The scoring app recomputes the project's latest audit.
evidence_changed = Signal()


def announce_evidence_changed(*, sender: type, project_id: int) -> None:
    """Send evidence_changed once the transaction commits, once per project and transaction."""
    once_after_commit(
        ("evidence", project_id), lambda: evidence_changed.send(sender=sender, project_id=project_id)
    )
