"""Writes to checklists: starting them, item state changes (with history), reminders."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from checklists import digest, selectors
from checklists.answers import (  # the tech lead's workflow, part of this service API
    answer_item,
    bulk_answer,
    confirm_carried,
    confirm_evidence_answer,
    confirm_items,
    evidence_answer_items,
)
from checklists.evidence_files import evidence_file_add
from checklists.item_changes import (
    NA_NEEDS_JUSTIFICATION,
    checklist_item_record_change,
    checklist_item_save,
    checklist_item_validate,
    ensure_editable,
    item_copy,
    schedule_project_recompute,
)
from checklists.models import (
    Checklist,
    ChecklistItem,
    ChecklistTemplate,
    HistoryEvent,
    ItemState,
    ReminderDelivery,
)
from checklists.reaudit import ChecklistDiff, checklist_diff, start_audit_from_previous
from checklists.review import reopen, sign_off, submit_for_review

logger = logging.getLogger(__name__)

# The service API of checklists: the functions defined here and those of the modules the tech
# lead's workflow lives in (answers, evidence files, review, re-audits), so callers import one name.
__all__ = [
    "NA_NEEDS_JUSTIFICATION",
    "ChecklistDiff",
    "StatedItem",
    "answer_item",
    "bulk_answer",
    "checklist_create_stated",
    "checklist_diff",
    "checklist_item_record_change",
    "checklist_item_save",
    "checklist_item_set_state",
    "checklist_item_validate",
    "checklist_items_update",
    "checklist_start",
    "checklists_extend_due",
    "checklists_reassign",
    "confirm_carried",
    "confirm_evidence_answer",
    "confirm_items",
    "ensure_editable",
    "evidence_answer_items",
    "evidence_file_add",
    "reminder_deliveries_release",
    "reminder_render",
    "reminders_send",
    "reopen",
    "schedule_project_recompute",
    "sign_off",
    "start_audit_from_previous",
    "submit_for_review",
    "template_bump_version",
]

# --- Starting checklists -------------------------------------------------------------------


def checklist_start(
    *,
    project,
    template: ChecklistTemplate,
    owner=None,
    due_date: dt.date | None = None,
    title: str = "",
    audit=None,
) -> Checklist:
    """Start a checklist for a project from a template: its items are copied, so later edits
    of the template never change this checklist."""
    if audit is not None and audit.project_id != project.pk:
        raise ValidationError("The audit belongs to another project.")
    with transaction.atomic():
        # Lock the template row so the version and the items copied belong together.
        template = ChecklistTemplate.objects.select_for_update().get(pk=template.pk)
        checklist = Checklist.objects.create(
            project=project,
            audit=audit,
            template=template,
            template_version=template.version,
            title=title.strip() or template.name,
            owner=owner,
            due_date=due_date,
        )
        ChecklistItem.objects.bulk_create(
            item_copy(item, checklist=checklist) for item in template.items.order_by("order", "id")
        )
        evidence_answer_items(checklist.items.exclude(evidence_rule=""))
    return checklist


@dataclass
class StatedItem:
    """A checklist item as a report states it ("- [x] Rotate the key")."""

    text: str
    state: str  # "done", "todo", "na"
    section: str = ""
    note: str = ""


def checklist_create_stated(*, project, audit, title: str, items: list[StatedItem]) -> Checklist:
    """A checklist of an imported audit, with its items in the states the report gives them."""
    if audit.project_id != project.pk:
        raise ValidationError("The audit belongs to another project.")
    if len(items) > settings.CHECKLIST_MAX_ITEMS:
        raise ValidationError(
            f"{len(items):,} items are over the limit of {settings.CHECKLIST_MAX_ITEMS:,} items per "
            "checklist (CHECKLIST_MAX_ITEMS)."
        )
    now = timezone.now()
    checklist = Checklist.objects.create(project=project, audit=audit, title=title[:300])
    ChecklistItem.objects.bulk_create(
        ChecklistItem(
            checklist=checklist,
            order=order,
            section=item.section[:200],
            text=item.text[:500],
            state=item.state,
            note=item.note,
            checked_at=now if item.state != ItemState.TODO else None,
        )
        for order, item in enumerate(items, start=1)
    )
    return checklist


def checklists_reassign(*, checklists, owner) -> int:
    """Give the checklists (a queryset) to another owner; returns how many changed."""
    return checklists.update(owner=owner, updated_at=timezone.now())


def checklists_extend_due(*, checklists, days: int, today: dt.date | None = None) -> int:
    """Push due dates back by `days`; a checklist without a due date gets today + days."""
    if days <= 0:
        raise ValidationError("The extension must be a positive number of days.")
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        changed = checklists.filter(due_date__isnull=False).update(
            due_date=F("due_date") + dt.timedelta(days=days), updated_at=now
        )
        changed += checklists.filter(due_date__isnull=True).update(
            due_date=today + dt.timedelta(days=days), updated_at=now
        )
    return changed


def template_bump_version(*, template_ids) -> None:
    ChecklistTemplate.objects.filter(pk__in=list(template_ids)).update(
        version=F("version") + 1, updated_at=timezone.now()
    )


# --- Item state changes --------------------------------------------------------------------


def checklist_items_update(*, checklist: Checklist, items: list[ChecklistItem], user) -> int:
    """Save edited items of one checklist (state, note, evidence) in one transaction.

    The state each item had in the database (rows locked) is the "from" of its history row,
    even when someone else changed it after the form was opened. Returns how many items
    changed state. Raises ValidationError (nothing saved) when an item is invalid, such as
    "not applicable" without a justification.
    """
    if any(item.checklist_id != checklist.pk for item in items):
        raise ValidationError("An item does not belong to this checklist.")
    changed = 0
    with transaction.atomic():
        Checklist.objects.select_for_update().filter(pk=checklist.pk).first()
        ensure_editable(checklist)
        current = {
            pk: (state, carried)
            for pk, state, carried in ChecklistItem.objects.select_for_update()
            .filter(pk__in=[item.pk for item in items])
            .values_list("pk", "state", "carried")
        }
        for item in items:
            previous, was_carried = current.get(item.pk, (item.state, item.carried))
            # Editing a carried answer is answering it: it counts from now on.
            item.carried = False
            event = HistoryEvent.RECONFIRM if was_carried and item.state == previous else HistoryEvent.CHANGE
            checklist_item_record_change(item=item, previous_state=previous, user=user, event=event)
            changed += item.state != previous or was_carried
            checklist_item_save(item=item, recompute=False)
        if changed:
            schedule_project_recompute(project_id=checklist.project_id)
    return changed


def checklist_item_set_state(
    *, item: ChecklistItem, state: str, user, note: str | None = None
) -> ChecklistItem:
    """Change one item's state (and note); writes the history row. One transaction."""
    if state not in ItemState.values:
        raise ValidationError(f"Unknown state {state!r}; expected one of {', '.join(ItemState.values)}.")
    ensure_editable(item.checklist)
    previous = item.state
    item.state = state
    if note is not None:
        item.note = note
    checklist_item_record_change(item=item, previous_state=previous, user=user)
    checklist_item_save(item=item)
    return item


# --- Reminders -----------------------------------------------------------------------------


@dataclass
class ReminderRun:
    day: dt.date
    dry_run: bool = False
    sent: list[int] = field(default_factory=list)  # owner ids
    failed: dict[int, str] = field(default_factory=dict)  # owner id -> error
    skipped: list[int] = field(default_factory=list)  # already claimed or sent today
    planned: dict[int, list[Checklist]] = field(default_factory=dict)  # dry run: what would go
    # Other apps' sections (digest.register_section), by owner id: what went or would go.
    sections: dict[int, list[digest.DigestSection]] = field(default_factory=dict)

    def summary(self) -> str:
        if self.dry_run:
            count = sum(len(c) for c in self.planned.values())
            return (
                f"{self.day}: dry run, would send {len(self.planned)} digest(s) listing "
                f"{count} checklist(s); {len(self.skipped)} owner(s) already handled today."
            )
        return (
            f"{self.day}: sent {len(self.sent)}, failed {len(self.failed)}, "
            f"already handled {len(self.skipped)}."
        )


def reminder_deliveries_release(*, deliveries, user) -> int:
    """Let the next run send again: for a delivery stuck "claimed" (its process died while
    sending, so whether the mail left is unknown) once someone has checked. Returns how many."""
    who = user.get_username() if user is not None else "system"
    return deliveries.filter(
        status__in=[ReminderDelivery.Status.CLAIMED, ReminderDelivery.Status.FAILED]
    ).update(
        status=ReminderDelivery.Status.FAILED,
        claim_token=None,
        error=f"Released for retry by {who} at {timezone.now():%Y-%m-%d %H:%M}.",
    )


def reminder_render(
    *, owner, checklists: list[Checklist], day: dt.date, sections: list[digest.DigestSection] | None = None
) -> EmailMultiAlternatives:
    context = {
        "sections": sections or [],
        "owner": owner,
        "checklists": checklists,
        "day": day,
        "site_url": settings.SITE_URL,
        "overdue": [c for c in checklists if c.is_overdue],
        "upcoming": [c for c in checklists if not c.is_overdue],
        "horizon_days": selectors.REMINDER_HORIZON_DAYS,
    }
    for checklist in checklists:
        checklist.admin_link = settings.SITE_URL + checklist.get_admin_url()
    subject = " ".join(render_to_string("checklists/email/reminder_subject.txt", context).split())
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("checklists/email/reminder.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[owner.email],
    )
    message.attach_alternative(render_to_string("checklists/email/reminder.html", context), "text/html")
    return message


def reminders_send(*, today: dt.date | None = None, dry_run: bool = False) -> ReminderRun:
    """Send each owner one digest of their checklists overdue or due within 7 days, with the
    sections other apps add (checklists.digest: exceptions about to expire, SLA breaches).

    Exactly once per owner and day: a ReminderDelivery row per owner is inserted (the unique
    constraint keeps one per owner and day), then claimed by one conditional UPDATE that only
    takes rows still pending or failed, stamping this run's token. Each claim is committed
    before any e-mail leaves, so a concurrent or retried run never sends the same digest twice.
    Failed sends are recorded with their error and claimed again by the next run.

    A row left "claimed" by a process that died mid-send is not retried automatically (the
    mail may have left); it stays visible in the admin, where an admin can release it.

    Call it outside any transaction (the task and the command do): inside one, the claim would
    only commit with the caller.

    Queries: a constant number for the whole run, plus one UPDATE per owner recording the outcome.
    """
    today = today or timezone.localdate()
    run = ReminderRun(day=today, dry_run=dry_run)
    due = selectors.reminder_due_checklists(today=today)
    run.sections = digest.sections_by_owner(today)
    owners = sorted(set(due) | set(run.sections))
    if not owners:
        return run

    if dry_run:
        handled = set(
            ReminderDelivery.objects.filter(
                day=today,
                owner_id__in=owners,
                status__in=[ReminderDelivery.Status.CLAIMED, ReminderDelivery.Status.SENT],
            ).values_list("owner_id", flat=True)
        )
        run.skipped = sorted(handled)
        run.planned = {owner_id: c for owner_id, c in due.items() if owner_id not in handled}
        run.sections = {owner_id: s for owner_id, s in run.sections.items() if owner_id not in handled}
        return run

    token = uuid.uuid4()
    now = timezone.now()
    with transaction.atomic():
        ReminderDelivery.objects.bulk_create(
            [
                ReminderDelivery(owner_id=owner_id, day=today, checklist_count=len(due.get(owner_id, [])))
                for owner_id in owners
            ],
            ignore_conflicts=True,
        )
    # The claim: committed on its own, before sending.
    with transaction.atomic():
        ReminderDelivery.objects.filter(
            day=today,
            owner_id__in=owners,
            status__in=[ReminderDelivery.Status.PENDING, ReminderDelivery.Status.FAILED],
        ).update(
            status=ReminderDelivery.Status.CLAIMED,
            claim_token=token,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            error="",
        )
    claimed = {
        owner_id: (pk, log)
        for owner_id, pk, log in ReminderDelivery.objects.filter(claim_token=token).values_list(
            "owner_id", "pk", "attempt_log"
        )
    }
    run.skipped = sorted(set(owners) - set(claimed))
    run.sections = {owner_id: s for owner_id, s in run.sections.items() if owner_id in claimed}
    if not claimed:
        return run
    # Owners with other sections only: their user rows (the checklists carry theirs).
    others = get_user_model().objects.in_bulk([o for o in claimed if o not in due])

    connection = get_connection()
    try:
        for owner_id, (delivery_id, log) in claimed.items():
            checklists = due.get(owner_id, [])
            owner = checklists[0].owner if checklists else others[owner_id]
            try:
                message = reminder_render(
                    owner=owner, checklists=checklists, day=today, sections=run.sections.get(owner_id)
                )
                message.connection = connection
                message.send(fail_silently=False)
            except Exception as exc:  # any failure of rendering or sending is recorded
                error = f"{type(exc).__name__}: {exc}"
                logger.warning("Checklist reminder to user %s failed: %s", owner_id, error)
                ReminderDelivery.objects.filter(pk=delivery_id, claim_token=token).update(
                    status=ReminderDelivery.Status.FAILED,
                    error=error[:2000],
                    checklist_count=len(checklists),
                    attempt_log=[
                        *log,
                        {"at": timezone.now().isoformat(), "outcome": "failed", "error": error[:500]},
                    ],
                )
                run.failed[owner_id] = error
            else:
                sent_at = timezone.now()
                ReminderDelivery.objects.filter(pk=delivery_id, claim_token=token).update(
                    status=ReminderDelivery.Status.SENT,
                    sent_at=sent_at,
                    checklist_count=len(checklists),
                    error="",
                    attempt_log=[
                        *log,
                        {"at": sent_at.isoformat(), "outcome": "sent", "checklists": len(checklists)},
                    ],
                )
                run.sent.append(owner_id)
    finally:
        try:
            connection.close()
        except Exception:  # closing a broken SMTP connection must not hide the outcome
            logger.warning("Closing the e-mail connection failed", exc_info=True)
    return run
