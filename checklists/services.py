"""Writes to checklists: every state change of an item goes through here."""

from __future__ import annotations

from django.utils import timezone

from checklists.models import ChecklistItem, ChecklistItemHistory


def checklist_item_record_change(*, item: ChecklistItem, previous_state: str, user) -> None:
    """Stamp who/when on an item whose state changed, and keep the change in its history.

    Call after the item's new state is set and before it is saved; the history row is written
    once the item is saved (the caller saves inside its own transaction).
    """
    if item.state == previous_state:
        return
    item.checked_by = user if user is not None and user.is_authenticated else None
    item.checked_at = timezone.now()
    item._pending_history = ChecklistItemHistory(
        item=item, user=item.checked_by, from_state=previous_state, to_state=item.state,
        note=item.note,
    )


def checklist_item_save(*, item: ChecklistItem) -> None:
    item.full_clean()
    item.save()
    pending = getattr(item, "_pending_history", None)
    if pending is not None:
        pending.item = item
        pending.save()
        del item._pending_history


def checklist_item_set_state(*, item: ChecklistItem, state: str, user, note: str | None = None
                             ) -> ChecklistItem:
    previous = item.state
    item.state = state
    if note is not None:
        item.note = note
    checklist_item_record_change(item=item, previous_state=previous, user=user)
    checklist_item_save(item=item)
    return item
