"""The tech lead's queue: "My open items" across their projects, answered without leaving the page.

Thin views over checklists.selectors and checklists.services. Every POST works twice: from the
page's script (fetch, header `X-Requested-With: fetch`), which gets the item's HTML fragment
back (status 400 with the form's errors when the answer is refused), and as a plain form, which
is redirected back to the queue. Who may do what:

- reading an item: whoever sees its project (projects.access); a tech lead's other projects 403;
- answering, confirming, bulk: the permission to change checklist items on a project the user
  sees (tech leads on theirs, admins); managers and auditors only read (403).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from checklists import services
from checklists.models import ChecklistItem, ItemState
from checklists.queue_forms import AnswerForm, BulkAnswerForm, QueueFilterForm
from projects import access
from projects.models import Project

PAGE_SIZE = 100
CHANGE_ITEMS = "checklists.change_checklistitem"


def can_answer(user, project: Project) -> bool:
    return user.has_perm(CHANGE_ITEMS) and access.can_see_project(user, project)


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _queue_items(user) -> QuerySet[ChecklistItem]:
    """Open items of the checklists of the projects the user leads or is a member of, or owns."""
    theirs = Project.objects.filter(Q(tech_lead=user) | Q(members=user)).values("pk")
    return (
        ChecklistItem.objects.filter(state=ItemState.TODO)
        .filter(Q(checklist__project__in=theirs) | Q(checklist__owner=user))
        .filter(access.project_scope_q(user, "checklist__project"))
    )


def _ordered(items: QuerySet[ChecklistItem]) -> QuerySet[ChecklistItem]:
    return items.select_related("checklist__project", "domain").order_by(
        F("checklist__due_date").asc(nulls_last=True), "-is_critical", "checklist_id", "order", "id"
    )


def _apply_filters(items: QuerySet[ChecklistItem], filters: dict, today: dt.date) -> QuerySet[ChecklistItem]:
    if "project" in filters:
        items = items.filter(checklist__project=filters["project"])
    if "domain" in filters:
        items = items.filter(domain=filters["domain"])
    if filters.get("critical"):
        items = items.filter(is_critical=True)
    if filters.get("overdue"):
        items = items.filter(checklist__due_date__lt=today)
    return items


def _decorate(item: ChecklistItem, user, today: dt.date, *, form: AnswerForm | None = None) -> ChecklistItem:
    due = item.checklist.due_date
    item.is_overdue = due is not None and due < today and item.state == ItemState.TODO
    item.can_answer = can_answer(user, item.checklist.project)
    item.form = form or AnswerForm(
        initial={"state": item.state, "note": item.note, "evidence_url": item.evidence_url},
        auto_id=f"item-{item.pk}-%s",
    )
    return item


def _item_or_403(request: HttpRequest, pk: int, *, write: bool) -> ChecklistItem:
    item = get_object_or_404(ChecklistItem.objects.select_related("checklist__project", "domain"), pk=pk)
    project = item.checklist.project
    if not access.can_see_project(request.user, project):
        raise PermissionDenied("This item belongs to a project that is not one of yours.")
    if write and not can_answer(request.user, project):
        raise PermissionDenied("You may read this checklist but not answer it.")
    return item


def _back(request: HttpRequest, anchor: str = "") -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("checklists:queue")
    return HttpResponseRedirect(f"{target}{anchor}")


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    user = request.user
    mine = _queue_items(user)
    projects = Project.objects.filter(pk__in=mine.values("checklist__project_id")).order_by("name")
    filter_form = QueueFilterForm(request.GET or None, projects=projects)
    filters = filter_form.filters() if request.GET else {}
    items = _ordered(_apply_filters(mine, filters, today))
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_decorate(item, user, today) for item in page.object_list]
    context = {
        "items": rows,
        "page": page,
        "filter_form": filter_form,
        "bulk_form": BulkAnswerForm(auto_id="bulk-%s"),
        "can_answer_any": user.has_perm(CHANGE_ITEMS),
        "next_url": request.get_full_path(),
        "page_query": "".join(
            f"{part}&" for part in [urlencode({k: v for k, v in request.GET.items() if k != "page"})] if part
        ),
        "today": today,
    }
    return render(request, "checklists/queue.html", context)


@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _decorate(_item_or_403(request, pk, write=False), request.user, timezone.localdate())
    return render(
        request, "checklists/queue_item_page.html", {"item": item, "next_url": reverse("checklists:queue")}
    )


def _fragment(
    request: HttpRequest, item: ChecklistItem, *, status: int = 200, answered: bool = False
) -> HttpResponse:
    html = render_to_string(
        "checklists/_queue_item.html",
        {"item": item, "answered": answered, "next_url": request.POST.get("next", "")},
        request=request,
    )
    return HttpResponse(html, status=status)


@require_POST
def item_answer(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_403(request, pk, write=True)
    today = timezone.localdate()
    form = AnswerForm(request.POST, request.FILES, auto_id=f"item-{item.pk}-%s")
    if form.is_valid():
        try:
            _answer(item, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
    if form.errors:
        if _is_fetch(request):
            return _fragment(request, _decorate(item, request.user, today, form=form), status=400)
        return render(
            request,
            "checklists/queue_item_page.html",
            {
                "item": _decorate(item, request.user, today, form=form),
                "next_url": request.POST.get("next", ""),
            },
            status=400,
        )
    item.refresh_from_db()
    if _is_fetch(request):
        return _fragment(request, _decorate(item, request.user, today), answered=True)
    messages.success(request, f"“{item.text}”: {item.get_state_display().lower()}.")
    return _back(request)


def _answer(item: ChecklistItem, *, user, state: str, note: str, evidence_url: str, evidence_file) -> None:
    item.evidence_url = evidence_url
    services.checklist_item_set_state(item=item, state=state, user=user, note=note)


@require_POST
def bulk_answer(request: HttpRequest) -> HttpResponse:
    try:
        ids = sorted({int(value) for value in request.POST.getlist("items")})
    except ValueError:
        ids = []
    items = list(ChecklistItem.objects.filter(pk__in=ids).select_related("checklist__project"))
    for item in items:
        if not can_answer(request.user, item.checklist.project):
            raise PermissionDenied("An item selected belongs to a project you may not answer.")
    if not request.user.has_perm(CHANGE_ITEMS):
        raise PermissionDenied("You may read checklists but not answer them.")
    form = BulkAnswerForm(request.POST, request.FILES, auto_id="bulk-%s")
    if not items:
        messages.error(request, "Select the items to answer first.")
        return _back(request)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label or 'Bulk answer'}: {' '.join(errors)}")
        return _back(request)
    data = form.cleaned_data
    try:
        for item in items:
            _answer(
                item,
                user=request.user,
                state=data["state"],
                note=data["note"],
                evidence_url=data["evidence_url"],
                evidence_file=data["evidence_file"],
            )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _back(request)
    messages.success(request, f"{len(items)} item{'s' if len(items) != 1 else ''} answered.")
    return _back(request)
