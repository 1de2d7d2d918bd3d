"""Helpers for tests that post admin forms the way a browser would."""

from __future__ import annotations


def _value(form, name):
    field = form.fields[name]
    value = form.initial.get(name, field.initial)
    if callable(value):
        value = value()
    value = field.prepare_value(value) if value is not None else value
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def admin_form_data(response) -> dict:
    """The data a browser would post back, unchanged, from an admin add/change page response."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = _value(form, name)
        if value != "" and value is not False:
            data[form.add_prefix(name)] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = _value(management, name)
        for subform in formset.initial_forms:
            for name in subform.fields:
                value = _value(subform, name)
                if value != "":
                    data[subform.add_prefix(name)] = value
        data[management.add_prefix("TOTAL_FORMS")] = str(len(formset.initial_forms))
    return data
