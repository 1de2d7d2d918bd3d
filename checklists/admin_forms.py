"""Forms, the "due" filter and the paged items inline of the checklist admin (checklists.admin)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AdminDateWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from checklists import selectors, services
from checklists.evidence_files import ACCEPTED_HUMAN, evidence_check
from checklists.models import ChecklistItem, ChecklistTemplate, ItemState
from projects import access
from projects.admin_mixins import check_date_in_range
from projects.params import parse_id


def owner_choices():
    """People a checklist can be given to: active staff accounts."""
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


class PagedItemsInlineMixin:
    """Shows a page of CHECKLIST_INLINE_MAX_ITEMS items (?items_page=N) instead of every item:
    a change page rendering tens of thousands of item forms takes a worker down. Saving the
    page changes only the items it shows."""

    parent_field = "checklist"
    PAGE_PARAM = "items_page"

    def _items_page(self, request) -> dict | None:
        match = getattr(request, "resolver_match", None)
        parent_id = parse_id((match.kwargs if match else {}).get("object_id"))
        if parent_id is None:
            return None
        cache_key = f"_items_page_{self.model._meta.label}"
        if not hasattr(request, cache_key):
            size = max(1, settings.CHECKLIST_INLINE_MAX_ITEMS)
            items = self.model._default_manager.filter(**{f"{self.parent_field}_id": parent_id})
            total = items.count()
            pages = max(1, -(-total // size))
            page = min(parse_id(request.GET.get(self.PAGE_PARAM, "")) or 1, pages)
            start = (page - 1) * size
            ids = list(items.order_by("order", "id").values_list("pk", flat=True)[start : start + size])
            setattr(
                request,
                cache_key,
                {
                    "ids": ids,
                    "total": total,
                    "page": page,
                    "pages": pages,
                    "size": size,
                    "first": start + 1 if ids else 0,
                    "last": start + len(ids),
                    "previous": page - 1 if page > 1 else None,
                    "next": page + 1 if page < pages else None,
                    "param": self.PAGE_PARAM,
                },
            )
        return getattr(request, cache_key)

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        page = self._items_page(request)
        if page is not None and page["pages"] > 1:
            qs = qs.filter(pk__in=page["ids"])
        return qs

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.items_page = self._items_page(request) if obj is not None else None
        return formset


class ChecklistItemForm(forms.ModelForm):
    evidence_file = forms.FileField(
        required=False,
        help_text=f"Adds a revision; earlier files stay. {ACCEPTED_HUMAN}.",
        widget=forms.ClearableFileInput(attrs={"class": "checklist-evidence-file"}),
    )

    class Meta:
        model = ChecklistItem
        fields = ("state", "note", "evidence_url", "evidence_expires_on")
        widgets = {
            "evidence_expires_on": forms.DateInput(attrs={"type": "date"}),
            "note": forms.Textarea(attrs={"rows": 2, "cols": 36}),
            "evidence_url": forms.URLInput(attrs={"size": 28, "placeholder": "https://"}),
        }

    def clean(self):
        cleaned = super().clean()
        state = cleaned.get("state")
        if state == ItemState.NOT_APPLICABLE and not (cleaned.get("note") or "").strip():
            self.add_error("note", services.NA_NEEDS_JUSTIFICATION)
        return cleaned

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence_expires_on"].validators.append(check_date_in_range)

    def clean_evidence_file(self):
        upload = self.cleaned_data.get("evidence_file")
        if upload:
            evidence_check(upload)  # size and type, before anything is saved
        return upload


class ChecklistForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        project, audit = cleaned.get("project"), cleaned.get("audit")
        if audit is not None and project is not None and audit.project_id != project.pk:
            self.add_error("audit", f"This audit belongs to {audit.project}, not to {project}.")
        return cleaned


class OverdueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return (
            ("overdue", "Overdue (open items)"),
            ("week", "Due within 7 days"),
            ("complete", "Complete"),
            ("open", "Not complete"),
        )

    def queryset(self, request, queryset):
        today = timezone.localdate()
        value = self.value()
        if value == "overdue":
            return queryset.filter(selectors.overdue_q(today))
        if value == "week":
            return queryset.filter(
                selectors.open_items_exist(), due_date__gte=today, due_date__lte=today + dt.timedelta(days=7)
            )
        if value == "complete":
            return queryset.exclude(selectors.open_items_exist())
        if value == "open":
            return queryset.filter(selectors.open_items_exist())
        return queryset


class ReassignForm(forms.Form):
    owner = forms.ModelChoiceField(queryset=owner_choices(), label="New owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices()


class ExtendDueForm(forms.Form):
    days = forms.IntegerField(
        min_value=1,
        max_value=365,
        initial=7,
        label="Extend by (days)",
        help_text="Checklists without a due date get today plus this.",
    )


class StartChecklistForm(forms.Form):
    projects = forms.ModelMultipleChoiceField(
        queryset=None, label="Project(s)", widget=forms.SelectMultiple(attrs={"size": 8})
    )
    template = forms.ModelChoiceField(queryset=ChecklistTemplate.objects.filter(is_active=True))
    owner = forms.ModelChoiceField(queryset=None, required=False, help_text="Empty: the project's tech lead.")
    due_date = forms.DateField(required=False, widget=AdminDateWidget, validators=[check_date_in_range])
    title = forms.CharField(max_length=300, required=False, help_text="Empty: the template's name.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["projects"].queryset = access.visible_projects(user).order_by("name")
        self.fields["owner"].queryset = owner_choices()
        self.fields["template"].queryset = ChecklistTemplate.objects.filter(is_active=True)

    def clean_template(self):
        template = self.cleaned_data.get("template")
        limit = settings.CHECKLIST_MAX_ITEMS
        if template is not None and template.items.count() > limit:
            raise ValidationError(
                f"This template has more than {limit:,} items, the most one checklist may hold "
                "(CHECKLIST_MAX_ITEMS)."
            )
        return template

    def clean_due_date(self):
        due = self.cleaned_data.get("due_date")
        if due is not None and due < timezone.localdate():
            raise ValidationError("The due date is in the past.")
        return due
