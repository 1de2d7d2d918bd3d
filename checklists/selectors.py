"""Reads of checklists: progress figures, what is due, history. Constant query counts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from checklists.models import Checklist, ChecklistItem, ChecklistItemHistory, ItemState

REMINDER_HORIZON_DAYS = 7


def _item_count(**filters) -> Coalesce:
    # A correlated subquery per figure: evaluated only for the rows a page shows, each one an
    # index scan on (checklist, state), instead of grouping every item of the table.
    counted = (
        ChecklistItem.objects.filter(checklist=OuterRef("pk"), **filters)
        .order_by()
        .values("checklist")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def open_items_exist() -> Exists:
    return Exists(ChecklistItem.objects.filter(checklist=OuterRef("pk"), state=ItemState.TODO))


def with_progress(queryset: QuerySet[Checklist]) -> QuerySet[Checklist]:
    """Annotate item_count, done_count, na_count, todo_count and critical_open."""
    return queryset.annotate(
        item_count=_item_count(),
        done_count=_item_count(state=ItemState.DONE),
        na_count=_item_count(state=ItemState.NOT_APPLICABLE),
        todo_count=_item_count(state=ItemState.TODO),
        critical_open=_item_count(state=ItemState.TODO, is_critical=True),
    )


def progress_percent(*, done: int, applicable: int) -> int:
    """Whole percent, rounded down: 199 of 200 shows 99, never 100 while an item is open."""
    if applicable <= 0:
        return 100
    return done * 100 // applicable


def is_complete(*, todo_count: int, critical_open: int) -> bool:
    """Complete means nothing left to do; a critical item still to do always blocks it."""
    return critical_open == 0 and todo_count == 0


def overdue_q(today: dt.date | None = None) -> Q:
    today = today or timezone.localdate()
    return Q(due_date__lt=today) & Q(open_items_exist())


def reminder_due_checklists(*, today: dt.date) -> dict[int, list[Checklist]]:
    """Checklists overdue or due within 7 days that still have open items, by owner id.

    One query whatever the number of checklists: owners and projects are joined, progress
    figures are subqueries on the checklists returned. Only active owners with an e-mail.
    """
    horizon = today + dt.timedelta(days=REMINDER_HORIZON_DAYS)
    checklists = with_progress(
        Checklist.objects.filter(
            owner__isnull=False,
            owner__is_active=True,
            due_date__lte=horizon,
        )
        .exclude(owner__email="")
        .filter(open_items_exist())
        .select_related("owner", "project")
        .order_by("owner_id", "due_date", "id")
    )
    by_owner: dict[int, list[Checklist]] = defaultdict(list)
    for checklist in checklists:
        checklist.is_overdue = checklist.due_date < today
        checklist.days_left = (checklist.due_date - today).days
        checklist.days_late = -checklist.days_left
        checklist.percent = progress_percent(
            done=checklist.done_count, applicable=checklist.item_count - checklist.na_count
        )
        by_owner[checklist.owner_id].append(checklist)
    return dict(by_owner)


def checklist_history(*, checklist: Checklist, limit: int = 200) -> list[ChecklistItemHistory]:
    """The latest state changes of a checklist's items, newest first, in one query."""
    return list(
        ChecklistItemHistory.objects.filter(item__checklist=checklist)
        .select_related("item", "user")
        .order_by("-changed_at", "-id")[:limit]
    )
