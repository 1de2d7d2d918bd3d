"""Review of a checklist: submit, sign off (four eyes), reopen with a recorded reason.

open → submitted → signed off → (reopen) → open. A signed-off checklist is read-only
(`item_changes.ensure_editable`). The reviewer who signs off is never the submitter: checked
here, by the permission `checklists.signoff_checklist`, and by the database constraint
`checklist_signoff_not_by_submitter`.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem, ChecklistReviewEvent, ReviewState
from projects import access

SUBMITTER_CANNOT_SIGN = "You submitted this checklist: another reviewer must sign it off (four eyes)."


def _locked(checklist: Checklist, user) -> Checklist:
    row = Checklist.objects.select_for_update().select_related("project").get(pk=checklist.pk)
    if not access.can_see_project(user, row.project):
        raise PermissionDenied("This checklist belongs to a project you do not work on.")
    return row


def _record(row: Checklist, action: str, user, reason: str = "", *, caller: Checklist) -> None:
    row.save()
    ChecklistReviewEvent.objects.create(checklist=row, action=action, user=user, reason=reason)
    # The caller's copy shows the new review state too.
    for name in ("review_state", "submitted_by_id", "submitted_at", "signed_off_by_id", "signed_off_at"):
        setattr(caller, name, getattr(row, name))


def submit_for_review(checklist: Checklist, *, user) -> Checklist:
    """Hand an open checklist to a reviewer. Refused while answers carried from the previous
    audit still wait to be re-confirmed."""
    if not user.is_authenticated or not user.has_perm("checklists.change_checklist"):
        raise PermissionDenied("You may not submit checklists for review.")
    with transaction.atomic():
        row = _locked(checklist, user)
        if row.review_state != ReviewState.OPEN:
            raise ValidationError(f"{row.title} is already {row.get_review_state_display().lower()}.")
        carried = ChecklistItem.objects.filter(checklist=row, carried=True).count()
        if carried:
            raise ValidationError(
                f"{carried} answer(s) carried from the previous audit still need re-confirming before review."
            )
        row.review_state = ReviewState.SUBMITTED
        row.submitted_by = user
        row.submitted_at = timezone.now()
        row.signed_off_by = None
        row.signed_off_at = None
        _record(row, ChecklistReviewEvent.Action.SUBMIT, user, caller=checklist)
    return row


def may_sign_off(checklist: Checklist, user) -> bool:
    """For pages: whether to offer the sign-off button to this user."""
    return (
        user.is_authenticated
        and user.has_perm("checklists.signoff_checklist")
        and checklist.review_state == ReviewState.SUBMITTED
        and checklist.submitted_by_id != user.pk
    )


def sign_off(checklist: Checklist, *, user) -> Checklist:
    """Sign off a submitted checklist; the reviewer is not the submitter."""
    if not user.is_authenticated or not user.has_perm("checklists.signoff_checklist"):
        raise PermissionDenied("You may not sign off checklists.")
    with transaction.atomic():
        row = _locked(checklist, user)
        if row.review_state != ReviewState.SUBMITTED:
            raise ValidationError(f"{row.title} is not submitted for review; it cannot be signed off.")
        if row.submitted_by_id == user.pk:
            raise ValidationError(SUBMITTER_CANNOT_SIGN)
        row.review_state = ReviewState.SIGNED_OFF
        row.signed_off_by = user
        row.signed_off_at = timezone.now()
        _record(row, ChecklistReviewEvent.Action.SIGN_OFF, user, caller=checklist)
    return row


def reopen(checklist: Checklist, *, user, reason: str) -> Checklist:
    """Reopen a signed-off checklist (needs `checklists.reopen_checklist`), or take back a
    submission (its submitter or a reviewer). The reason is recorded."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {"reason": "Reopening needs a reason; it is kept in the checklist's review log."}
        )
    if not user.is_authenticated:
        raise PermissionDenied("You may not reopen checklists.")
    with transaction.atomic():
        row = _locked(checklist, user)
        if row.review_state == ReviewState.OPEN:
            raise ValidationError(f"{row.title} is already open.")
        if row.review_state == ReviewState.SIGNED_OFF:
            allowed = user.has_perm("checklists.reopen_checklist")
        else:
            allowed = row.submitted_by_id == user.pk or user.has_perm("checklists.signoff_checklist")
        if not allowed:
            raise PermissionDenied("You may not reopen this checklist.")
        row.review_state = ReviewState.OPEN
        row.submitted_by = None
        row.submitted_at = None
        row.signed_off_by = None
        row.signed_off_at = None
        _record(row, ChecklistReviewEvent.Action.REOPEN, user, reason, caller=checklist)
    return row
