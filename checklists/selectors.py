"""Reads of checklists: progress figures, what is due, history. Constant query counts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from checklists.models import (
    AnswerSource,
    Checklist,
    ChecklistItem,
    ChecklistItemHistory,
    EvidenceFile,
    ItemState,
    ReviewState,
)
from projects import access

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


# An item still to answer: never answered, or carried from the previous audit and not yet
# re-confirmed (a carried answer counts for nothing until then).
OPEN_ITEM_Q = Q(state=ItemState.TODO) | Q(carried=True)


def open_items_exist() -> Exists:
    return Exists(ChecklistItem.objects.filter(OPEN_ITEM_Q, checklist=OuterRef("pk")))


def _open_count(**filters) -> Coalesce:
    counted = (
        ChecklistItem.objects.filter(OPEN_ITEM_Q, checklist=OuterRef("pk"), **filters)
        .order_by()
        .values("checklist")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_progress(queryset: QuerySet[Checklist]) -> QuerySet[Checklist]:
    """Annotate item_count, done_count, na_count, todo_count, carried_count and critical_open.

    Carried answers count as neither done nor not applicable: they are to do until re-confirmed.
    """
    return queryset.annotate(
        item_count=_item_count(),
        done_count=_item_count(state=ItemState.DONE, carried=False),
        na_count=_item_count(state=ItemState.NOT_APPLICABLE, carried=False),
        todo_count=_open_count(),
        carried_count=_item_count(carried=True),
        critical_open=_open_count(is_critical=True),
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


def checklist_evidence_files(*, checklist: Checklist, limit: int = 200) -> list[EvidenceFile]:
    """Every revision of the evidence files of a checklist's items, newest first, one query."""
    return list(
        EvidenceFile.objects.filter(item__checklist=checklist)
        .select_related("item", "uploaded_by")
        .order_by("-uploaded_at", "-id")[:limit]
    )


def checklist_history(*, checklist: Checklist, limit: int = 200) -> list[ChecklistItemHistory]:
    """The latest state changes of a checklist's items, newest first, in one query."""
    return list(
        ChecklistItemHistory.objects.filter(item__checklist=checklist)
        .select_related("item", "user")
        .order_by("-changed_at", "-id")[:limit]
    )


# --- The tech lead's queue ---------------------------------------------------------------------

QUEUE_STATES = {
    "todo": Q(state=ItemState.TODO, carried=False),
    "carried": Q(carried=True),
    "evidence": Q(answer_source=AnswerSource.EVIDENCE, provenance_confirmed_at__isnull=True),
}
QUEUE_ORDERS = {
    # Due first (no due date last), critical first within a date, then the checklist's order.
    "due": (F("checklist__due_date").asc(nulls_last=True), "-is_critical", "checklist_id", "order", "id"),
    "critical": (
        "-is_critical",
        F("checklist__due_date").asc(nulls_last=True),
        "checklist_id",
        "order",
        "id",
    ),
}


def open_items_for(
    user,
    *,
    project: int | None = None,
    section: str | None = None,
    domain: int | None = None,
    critical: bool | None = None,
    overdue: bool | None = None,
    state: str | None = None,
    order: str = "due",
    today: dt.date | None = None,
) -> QuerySet[ChecklistItem]:
    """Items the user still has to answer, across the projects they lead or are a member of
    and the checklists they own (within what projects.access lets them see): never answered,
    carried to re-confirm, or answered from evidence and not yet confirmed. Signed-off
    checklists are left out (read-only).

    Filters: project id, section (exact), domain id, critical, overdue (the checklist's due
    date passed), state ("todo", "carried", "evidence"). Order "due" (due date, critical first)
    or "critical". Each row carries its checklist, project and domain (one query), and
    `is_overdue`.
    """
    if not user.is_authenticated:
        return ChecklistItem.objects.none()
    today = today or timezone.localdate()
    mine = (
        Q(checklist__project__tech_lead=user) | Q(checklist__project__members=user) | Q(checklist__owner=user)
    )
    # The membership join may repeat a row; filtering on ids keeps one row each without DISTINCT.
    mine_ids = ChecklistItem.objects.filter(mine).values("pk")
    items = ChecklistItem.objects.filter(
        access.project_scope_q(user, "checklist__project"),
        pk__in=mine_ids,
    ).exclude(checklist__review_state=ReviewState.SIGNED_OFF)
    if state:
        if state not in QUEUE_STATES:
            raise ValueError(f"Unknown state filter {state!r}; expected one of {', '.join(QUEUE_STATES)}.")
        items = items.filter(QUEUE_STATES[state])
    else:
        items = items.filter(OPEN_ITEM_Q | QUEUE_STATES["evidence"])
    if project is not None:
        items = items.filter(checklist__project_id=project)
    if section:
        items = items.filter(section=section)
    if domain is not None:
        items = items.filter(domain_id=domain)
    if critical is not None:
        items = items.filter(is_critical=critical)
    if overdue is True:
        items = items.filter(checklist__due_date__lt=today)
    elif overdue is False:
        items = items.exclude(checklist__due_date__lt=today)
    if order not in QUEUE_ORDERS:
        raise ValueError(f"Unknown order {order!r}; expected one of {', '.join(QUEUE_ORDERS)}.")
    return (
        items.select_related("checklist__project", "checklist__owner", "domain")
        .annotate(is_overdue=ExpressionWrapper(Q(checklist__due_date__lt=today), output_field=BooleanField()))
        .order_by(*QUEUE_ORDERS[order])
    )
