"""Answering items: one at a time, in bulk, re-confirming carried answers, and answers taken
from evidence (checklists/evidence_rules.py) that a person then confirms or overrides.

Who may answer: a user with `checklists.change_checklistitem` who sees the item's project
(projects.access). A signed-off checklist is read-only until reopened. Every refusal raises
before anything is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from checklists import evidence_rules
from checklists.evidence_files import evidence_discard, evidence_rows_add, evidence_store
from checklists.item_changes import (
    NA_NEEDS_JUSTIFICATION,
    SIGNED_OFF_READ_ONLY,
    checklist_item_record_change,
    checklist_item_save,
    schedule_project_recompute,
)
from checklists.models import AnswerSource, ChecklistItem, HistoryEvent, ItemState, ReviewState
from projects import access

OVERRIDE_NEEDS_NOTE = "Overriding an answer taken from evidence needs a note saying why."


def _check_may_answer(user, items: list[ChecklistItem]) -> None:
    """Refuse (nothing written) unless the user may change every item: permission, project
    access, and no signed-off checklist among them. `items` carry their checklist."""
    if user is None or not user.is_authenticated or not user.has_perm("checklists.change_checklistitem"):
        raise PermissionDenied("You may not answer checklist items.")
    project_ids = {item.checklist.project_id for item in items}
    if not access.sees_all_projects(user):
        visible = set(access.visible_projects(user).filter(pk__in=project_ids).values_list("pk", flat=True))
        hidden = [item for item in items if item.checklist.project_id not in visible]
        if hidden:
            raise PermissionDenied(f"Item {hidden[0].pk} belongs to a project you do not work on.")
    signed = [item for item in items if item.checklist.review_state == ReviewState.SIGNED_OFF]
    if signed:
        raise ValidationError(f"{signed[0].checklist.title}: {SIGNED_OFF_READ_ONLY}")


def _locked(items: Iterable[ChecklistItem]) -> list[ChecklistItem]:
    """The items re-read under a row lock, with their checklist (also locked), in id order."""
    ids = sorted({item.pk for item in items})
    rows = list(
        ChecklistItem.objects.select_for_update(of=("self", "checklist"))
        .select_related("checklist")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise ValidationError("An item was deleted meanwhile; reload the page.")
    return rows


def _apply_answer(
    item: ChecklistItem, *, user, state: str, note: str, evidence_url: str, expires: dt.date | None
) -> None:
    """Set the answer on a locked item and stage its history row (saved by the caller)."""
    previous = item.state
    was_carried = item.carried
    from_evidence = item.awaits_confirmation
    if note.strip():
        item.note = note.strip()
    if evidence_url.strip():
        item.evidence_url = evidence_url.strip()
    if expires is not None:
        item.evidence_expires_on = expires
    item.state = state
    item.carried = False
    event = HistoryEvent.CHANGE
    if from_evidence:
        if state == previous:
            event = HistoryEvent.CONFIRM
        else:
            if not note.strip():
                raise ValidationError({"note": OVERRIDE_NEEDS_NOTE})
            event = HistoryEvent.OVERRIDE
            item.answer_source = AnswerSource.PERSON
            item.provenance = {**item.provenance, "overridden_at": timezone.now().isoformat()}
        item.provenance_confirmed_by = user
        item.provenance_confirmed_at = timezone.now()
    elif was_carried and state == previous:
        event = HistoryEvent.RECONFIRM
    checklist_item_record_change(item=item, previous_state=previous, user=user, event=event)


def answer_item(
    item: ChecklistItem,
    *,
    user,
    state: str,
    note: str = "",
    evidence_url: str = "",
    evidence_file=None,
    evidence_expires_on: dt.date | None = None,
) -> ChecklistItem:
    """Answer one item: its state, and optionally a note (an empty one keeps the current note),
    a link and a file (a new revision). "Not applicable" needs a note; a carried answer given
    again is re-confirmed; an evidence answer kept is confirmed, changed is overridden (needs a
    note). Returns the item as saved. One transaction."""
    (row,) = _answer(
        [item],
        user=user,
        state=state,
        note=note,
        evidence_url=evidence_url,
        upload=evidence_file,
        expires=evidence_expires_on,
    )
    for model_field in ChecklistItem._meta.concrete_fields:  # the caller's copy shows the answer
        setattr(item, model_field.attname, getattr(row, model_field.attname))
    return row


def bulk_answer(
    items,
    *,
    user,
    state: str,
    note: str,
    evidence_url: str = "",
    evidence_file=None,
    evidence_expires_on: dt.date | None = None,
) -> int:
    """Answer several items alike, with one note and one piece of evidence (the file is stored
    once, one revision per item). All in one transaction, refused whole when any item may not
    be answered. Returns how many items were answered."""
    items = list(items)
    if not items:
        raise ValidationError("Select at least one item.")
    return len(
        _answer(
            items,
            user=user,
            state=state,
            note=note,
            evidence_url=evidence_url,
            upload=evidence_file,
            expires=evidence_expires_on,
        )
    )


def _answer(items, *, user, state, note, evidence_url, upload, expires) -> list[ChecklistItem]:
    if state not in ItemState.values:
        raise ValidationError(
            {"state": f"Unknown state {state!r}; expected one of {', '.join(ItemState.values)}."}
        )
    stored = None
    if upload is not None:
        _check_may_answer(user, _with_checklists(items))
        stored = evidence_store(upload)
    try:
        with transaction.atomic():
            rows = _locked(items)
            _check_may_answer(user, rows)
            for row in rows:
                if state == ItemState.NOT_APPLICABLE and not (note.strip() or row.note.strip()):
                    raise ValidationError({"note": f"{row.text}: {NA_NEEDS_JUSTIFICATION}"})
                _apply_answer(
                    row, user=user, state=state, note=note, evidence_url=evidence_url, expires=expires
                )
                checklist_item_save(item=row, recompute=False)
            if stored is not None:
                evidence_rows_add(items=rows, stored=stored, user=user)
            for project_id in sorted({row.checklist.project_id for row in rows}):
                schedule_project_recompute(project_id=project_id)
    except BaseException:
        if stored is not None:
            evidence_discard(stored)
        raise
    return rows


def _with_checklists(items) -> list[ChecklistItem]:
    return list(ChecklistItem.objects.select_related("checklist").filter(pk__in=[item.pk for item in items]))


def confirm_carried(item: ChecklistItem, *, user) -> ChecklistItem:
    """Re-confirm an answer carried from the previous audit, unchanged: it counts from now on."""
    if not item.carried:
        raise ValidationError(
            "This item's answer is not carried from a previous audit: nothing to re-confirm."
        )
    return answer_item(item, user=user, state=item.state)


def confirm_evidence_answer(item: ChecklistItem, *, user) -> ChecklistItem:
    """Confirm the answer an evidence rule gave, as it is."""
    if not item.awaits_confirmation:
        raise ValidationError("This item has no answer from evidence waiting for confirmation.")
    return answer_item(item, user=user, state=item.state)


def confirm_items(items, *, user) -> int:
    """Confirm, as they are, the carried answers and the evidence answers among `items` (the
    others are left alone). One transaction, refused whole when any may not be answered.
    Returns how many were confirmed."""
    with transaction.atomic():
        rows = _locked(items)
        _check_may_answer(user, rows)
        pending = [row for row in rows if row.carried or row.awaits_confirmation]
        for row in pending:
            _apply_answer(row, user=user, state=row.state, note="", evidence_url="", expires=None)
            checklist_item_save(item=row, recompute=False)
        for project_id in sorted({row.checklist.project_id for row in pending}):
            schedule_project_recompute(project_id=project_id)
    return len(pending)


# --- Answers from evidence -------------------------------------------------------------------


def _may_take_evidence(item: ChecklistItem) -> bool:
    """Evidence answers items nobody answered, carried ones, and its own earlier answers; it
    never replaces a person's answer."""
    if item.checklist.review_state == ReviewState.SIGNED_OFF:
        return False
    return item.state == ItemState.TODO or item.carried or item.answer_source == AnswerSource.EVIDENCE


def evidence_answer_items(items) -> int:
    """Evaluate the evidence rules of the items (those with a rule) and answer those the
    evidence decides, recording the rule, the figures read, their source and the date. An item
    a person answered is left alone. Returns how many items changed. One transaction."""
    ids = [item.pk for item in items]
    candidates = list(
        ChecklistItem.objects.filter(pk__in=ids).exclude(evidence_rule="").values_list("pk", flat=True)
    )
    if not candidates:
        return 0
    changed = 0
    with transaction.atomic():
        rows = _locked(ChecklistItem.objects.filter(pk__in=candidates))
        domains = dict(ChecklistItem.objects.filter(pk__in=candidates).values_list("pk", "domain__slug"))
        projects: set[int] = set()
        for row in rows:
            if not _may_take_evidence(row):
                continue
            verdict = evidence_rules.evaluate(
                row.evidence_rule,
                evidence_rules.RuleContext(
                    row.checklist.project_id, domains.get(row.pk), row.evidence_threshold
                ),
            )
            if verdict is None or verdict.state is None:
                continue
            provenance = {
                "rule": row.evidence_rule,
                "label": evidence_rules.RULES[row.evidence_rule].label,
                "state": verdict.state,
                "summary": verdict.summary,
                "values": _json_ready(dict(verdict.values)),
                "source": verdict.source,
                "evaluated_at": timezone.now().isoformat(),
            }
            same = (
                row.answer_source == AnswerSource.EVIDENCE
                and row.state == verdict.state
                and row.provenance.get("values") == provenance["values"]
            )
            if same:
                continue
            previous = row.state
            row.state = verdict.state
            row.carried = False
            row.answer_source = AnswerSource.EVIDENCE
            row.provenance = provenance
            row.provenance_confirmed_by = None
            row.provenance_confirmed_at = None
            checklist_item_record_change(
                item=row, previous_state=previous, user=None, event=HistoryEvent.EVIDENCE
            )
            row._pending_history.note = verdict.summary
            checklist_item_save(item=row, recompute=False)
            projects.add(row.checklist.project_id)
            changed += 1
        for project_id in sorted(projects):
            schedule_project_recompute(project_id=project_id)
    return changed


def _json_ready(values: dict) -> dict:
    return {key: (str(value) if isinstance(value, Decimal) else value) for key, value in values.items()}
