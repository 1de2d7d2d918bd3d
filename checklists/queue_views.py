"""The tech lead's queue: "My open items" across their projects, answered without leaving the page.

Thin views over checklists.selectors and checklists.services. Every POST works twice: from the
page's script (fetch, header `X-Requested-With: fetch`), which gets the item's HTML fragment
back (status 400 with the form's errors when the answer is refused), and as a plain form, which
is redirected back to the queue. Who may do what:

- reading an item: whoever sees its project (projects.access); a tech lead's other projects 403;
- answering, confirming, bulk: the permission to change checklist items on a project the user
  sees (tech leads on theirs, admins); managers and auditors only read (403). The services
  check it again, with the signed-off lock.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from checklists import selectors, services
from checklists.evidence_rules import RULES
from checklists.models import ChecklistItem
from checklists.queue_forms import AnswerForm, BulkAnswerForm, QueueFilterForm
from projects import access
from projects.models import Project

PAGE_SIZE = 100
CHANGE_ITEMS = "checklists.change_checklistitem"


def can_answer(user, project: Project) -> bool:
    return user.has_perm(CHANGE_ITEMS) and access.can_see_project(user, project)


def _is_fetch(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def answerable_projects(user, project_ids: set[int]) -> set[int]:
    """Which of these projects the user may answer items of, in at most one query."""
    if not user.has_perm(CHANGE_ITEMS) or not project_ids:
        return set()
    if access.sees_all_projects(user):
        return project_ids
    return set(access.visible_projects(user).filter(pk__in=project_ids).values_list("pk", flat=True))


def _decorate(
    item: ChecklistItem,
    user,
    today: dt.date,
    *,
    form: AnswerForm | None = None,
    answerable: set[int] | None = None,
) -> ChecklistItem:
    """What the item's partial shows besides the model: overdue, may answer, the form, the rule."""
    due = item.checklist.due_date
    project_id = item.checklist.project_id
    if answerable is None:
        answerable = answerable_projects(user, {project_id})
    item.is_overdue = due is not None and due < today
    item.is_locked = item.checklist.is_signed_off
    item.can_answer = not item.is_locked and project_id in answerable
    rule = RULES.get(item.evidence_rule)
    item.rule_label = (item.provenance or {}).get("label") or (rule.label if rule else item.evidence_rule)
    item.form = form or AnswerForm(initial={"evidence_url": item.evidence_url}, auto_id=f"item-{item.pk}-%s")
    return item


def _item_or_403(request: HttpRequest, pk: int, *, write: bool) -> ChecklistItem:
    item = get_object_or_404(ChecklistItem.objects.select_related("checklist__project", "domain"), pk=pk)
    project = item.checklist.project
    if not access.can_see_project(request.user, project):
        raise PermissionDenied("This item belongs to a project that is not one of yours.")
    if write and not can_answer(request.user, project):
        raise PermissionDenied("You may read this checklist but not answer it.")
    return item


def _back(request: HttpRequest) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("checklists:queue")
    return HttpResponseRedirect(target)


def _errors_into(form, error: ValidationError) -> None:
    """A service's refusal onto the form: per field when it names one the form has."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    user = request.user
    projects = Project.objects.filter(
        pk__in=selectors.open_items_for(user, today=today).values("checklist__project_id")
    ).order_by("name")
    filter_form = QueueFilterForm(request.GET or None, projects=projects)
    filters = filter_form.filters() if request.GET else {}
    items = selectors.open_items_for(
        user,
        project=filters["project"].pk if "project" in filters else None,
        domain=filters["domain"].pk if "domain" in filters else None,
        critical=True if filters.get("critical") else None,
        overdue=True if filters.get("overdue") else None,
        state=filters.get("state") or None,
        today=today,
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    answerable = answerable_projects(user, {item.checklist.project_id for item in page.object_list})
    rows = [_decorate(item, user, today, answerable=answerable) for item in page.object_list]
    rest = urlencode([(k, v) for k, v in request.GET.items() if k != "page"])
    context = {
        "items": rows,
        "page": page,
        "filter_form": filter_form,
        "bulk_form": BulkAnswerForm(auto_id="bulk-%s"),
        "can_answer_any": user.has_perm(CHANGE_ITEMS),
        "has_carried": any(item.carried or item.awaits_confirmation for item in rows),
        "next_url": request.get_full_path(),
        "page_query": f"{rest}&" if rest else "",
    }
    return render(request, "checklists/queue.html", context)


@require_GET
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = _decorate(_item_or_403(request, pk, write=False), request.user, timezone.localdate())
    return _item_page(request, item)


def _item_page(request: HttpRequest, item: ChecklistItem, *, status: int = 200) -> HttpResponse:
    files = list(item.evidence_files.select_related("uploaded_by").order_by("-revision")[:20])
    context = {
        "item": item,
        "files": files,
        "next_url": request.POST.get("next") or reverse("checklists:queue"),
    }
    return render(request, "checklists/queue_item_page.html", context, status=status)


def _done(request: HttpRequest, item: ChecklistItem, message: str) -> HttpResponse:
    """After a change: the fragment for the script, else back to the queue with a message."""
    if _is_fetch(request):
        item = _item_or_403(request, item.pk, write=False)
        return _fragment(request, _decorate(item, request.user, timezone.localdate()), answered=True)
    messages.success(request, message)
    return _back(request)


def _refused(request: HttpRequest, item: ChecklistItem, form: AnswerForm) -> HttpResponse:
    item = _decorate(item, request.user, timezone.localdate(), form=form)
    if _is_fetch(request):
        return _fragment(request, item, status=400)
    return _item_page(request, item, status=400)


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
    form = AnswerForm(request.POST, request.FILES, auto_id=f"item-{item.pk}-%s")
    if form.is_valid():
        try:
            services.answer_item(item, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors_into(form, error)
    if form.errors:
        return _refused(request, item, form)
    return _done(request, item, f"“{item.text}”: {item.get_state_display().lower()}.")


@require_POST
def item_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: keep a carried answer (or an answer from evidence) as it is."""
    item = _item_or_403(request, pk, write=True)
    try:
        if item.awaits_confirmation:
            services.confirm_evidence_answer(item, user=request.user)
        else:
            services.confirm_carried(item, user=request.user)
    except ValidationError as error:
        form = AnswerForm({"state": item.state, "note": item.note}, auto_id=f"item-{item.pk}-%s")
        form.is_valid()
        _errors_into(form, error)
        return _refused(request, item, form)
    return _done(request, item, f"“{item.text}”: {item.get_state_display().lower()}, confirmed.")


@require_POST
def bulk_answer(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm(CHANGE_ITEMS):
        raise PermissionDenied("You may read checklists but not answer them.")
    try:
        ids = sorted({int(value) for value in request.POST.getlist("items")})
    except ValueError:
        ids = []
    items = list(ChecklistItem.objects.filter(pk__in=ids).select_related("checklist__project"))
    for item in items:
        if not can_answer(request.user, item.checklist.project):
            raise PermissionDenied("An item selected belongs to a project you may not answer.")
    form = BulkAnswerForm(request.POST, request.FILES, auto_id="bulk-%s")
    if not items:
        messages.error(request, "Select the items to answer first (tick them in the list).")
        return _back(request)
    if form.is_valid():
        try:
            count = _bulk(items, user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _errors_into(form, error)
    if form.errors:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else None
            messages.error(request, f"{label or 'Bulk answer'}: {' '.join(errors)} Nothing was changed.")
        return _back(request)
    messages.success(request, f"{count} item{'s' if count != 1 else ''} answered.")
    return _back(request)


def _bulk(
    items: list[ChecklistItem], *, user, state: str, note: str, evidence_url: str, evidence_file
) -> int:
    if state != "confirm":
        return services.bulk_answer(
            items, user=user, state=state, note=note, evidence_url=evidence_url, evidence_file=evidence_file
        )
    carried = [item for item in items if item.carried or item.awaits_confirmation]
    if not carried:
        raise ValidationError("None of the selected items has a carried answer to re-confirm.")
    with transaction.atomic():  # all or nothing, like bulk_answer
        for item in carried:
            if item.awaits_confirmation:
                services.confirm_evidence_answer(item, user=user)
            else:
                services.confirm_carried(item, user=user)
    return len(carried)
