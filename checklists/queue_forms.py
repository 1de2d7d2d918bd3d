"""Forms of the tech lead's queue: the filters, one item's answer, a bulk answer."""

from __future__ import annotations

from django import forms

from checklists.models import ItemState
from checklists.services import NA_NEEDS_JUSTIFICATION
from projects.models import MaturityDomain, Project

STATE_FILTERS = [
    ("", "Open: to do or to re-confirm"),
    ("todo", "To do"),
    ("carried", "Carried, to re-confirm"),
    ("evidence", "Answered from evidence, to confirm"),
]


class QueueFilterForm(forms.Form):
    """GET filters; an unknown value is ignored (the field is left out) rather than refused."""

    project = forms.ModelChoiceField(
        queryset=Project.objects.none(), required=False, empty_label="All projects"
    )
    domain = forms.ModelChoiceField(
        queryset=MaturityDomain.objects.order_by("display_order", "name"),
        required=False,
        empty_label="All domains",
    )
    state = forms.ChoiceField(choices=STATE_FILTERS, required=False)
    critical = forms.BooleanField(required=False, label="Critical only")
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, data, *, projects, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["project"].queryset = projects

    def filters(self) -> dict:
        """The valid filters only: a stale project id in a bookmarked URL shows everything."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class _EvidenceFields(forms.Form):
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Required for “not applicable”."
    )
    evidence_url = forms.URLField(
        required=False, max_length=500, assume_scheme="https", label="Evidence link"
    )
    evidence_file = forms.FileField(required=False, label="Evidence file")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("state") == ItemState.NOT_APPLICABLE and not (cleaned.get("note") or "").strip():
            self.add_error("note", NA_NEEDS_JUSTIFICATION)
        return cleaned


class AnswerForm(_EvidenceFields):
    state = forms.ChoiceField(choices=ItemState.choices)


BULK_ACTIONS = [
    (ItemState.DONE, "Mark done"),
    (ItemState.NOT_APPLICABLE, "Mark not applicable"),
    ("confirm", "Confirm carried answers"),
]


class BulkAnswerForm(_EvidenceFields):
    """The selected items come from the request (`items`, ids); the view checks each is answerable."""

    state = forms.ChoiceField(choices=BULK_ACTIONS)
