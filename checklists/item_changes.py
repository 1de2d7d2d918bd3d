"""The one way an item's answer is written: validation, who/when, the history row, the recompute.

Shared by the services (checklists.services, answers, reaudit, review); nothing here decides
who may answer what.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem, ChecklistItemHistory, HistoryEvent, ItemState
from projects.events import announce_evidence_changed

NA_NEEDS_JUSTIFICATION = "Marking an item not applicable needs a justification: say why in its note."
SIGNED_OFF_READ_ONLY = "This checklist is signed off and read-only; reopen it (with a reason) to change it."


def item_copy(source, *, checklist: Checklist) -> ChecklistItem:
    """A new (unsaved) item of `checklist` with the wording of `source`: a template item (then
    remembered as its origin) or an item of an earlier checklist (keeping that one's origin)."""
    from_template = not isinstance(source, ChecklistItem)
    return ChecklistItem(
        checklist=checklist,
        order=source.order,
        section=source.section,
        text=source.text,
        guidance=source.guidance,
        is_critical=source.is_critical,
        domain_id=source.domain_id,
        template_item_id=source.pk if from_template else source.template_item_id,
        evidence_rule=source.evidence_rule,
        evidence_threshold=source.evidence_threshold,
    )


def schedule_project_recompute(*, project_id: int) -> None:
    """Announce that the project's checklist evidence changed (scores recompute after commit)."""
    announce_evidence_changed(sender=ChecklistItem, project_id=project_id)


def ensure_editable(checklist: Checklist) -> None:
    """Refuse changes to a signed-off checklist (read the row, not a stale copy)."""
    if (
        checklist.pk is not None
        and Checklist.objects.filter(pk=checklist.pk, review_state="signed_off").exists()
    ):
        raise ValidationError(SIGNED_OFF_READ_ONLY)


def checklist_item_validate(*, state: str, note: str) -> None:
    if state not in ItemState.values:
        raise ValidationError(
            {"state": f"Unknown state {state!r}; expected one of {', '.join(ItemState.values)}."}
        )
    if state == ItemState.NOT_APPLICABLE and not (note or "").strip():
        raise ValidationError({"note": NA_NEEDS_JUSTIFICATION})


def checklist_item_record_change(
    *, item: ChecklistItem, previous_state: str, user, event: str = HistoryEvent.CHANGE
) -> None:
    """Stamp who/when on an answered item and keep the answer in its history.

    Call after the item's new state is set and before it is saved; the history row is written
    once the item is saved (the caller saves inside its own transaction). A plain change with
    the same state writes nothing; the other events (re-confirmation, evidence) always do.
    """
    if event == HistoryEvent.CHANGE and item.state == previous_state:
        return
    item.checked_by = user if user is not None and user.is_authenticated else None
    item.checked_at = timezone.now()
    item._pending_history = ChecklistItemHistory(
        item=item,
        user=item.checked_by,
        from_state=previous_state,
        to_state=item.state,
        note=item.note,
        event=event,
    )


def checklist_item_save(*, item: ChecklistItem, recompute: bool = True) -> None:
    checklist_item_validate(state=item.state, note=item.note)
    item.full_clean()
    with transaction.atomic():
        item.save()
        pending = getattr(item, "_pending_history", None)
        if pending is not None:
            pending.item = item
            pending.save()
            del item._pending_history
            if recompute:
                project_id = (
                    Checklist.objects.filter(pk=item.checklist_id).values_list("project_id", flat=True).get()
                )
                schedule_project_recompute(project_id=project_id)
