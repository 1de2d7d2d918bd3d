"""POST data of an admin change form as the browser would send it unchanged."""

from __future__ import annotations

from django.forms import BoundField


def _value(bound: BoundField):
    value = bound.value()
    widget = bound.field.widget
    if hasattr(widget, "widgets") and hasattr(widget, "decompress"):  # split date/time
        parts = value if isinstance(value, list | tuple) else widget.decompress(value)
        return {f"{bound.html_name}_{i}": "" if part is None else str(part) for i, part in enumerate(parts)}
    if value is None:
        return {}
    if isinstance(value, bool):
        return {bound.html_name: "on"} if value else {}
    if isinstance(value, list | tuple):
        return {bound.html_name: [str(v) for v in value]}
    return {
        bound.html_name: bound.field.prepare_value(value) if hasattr(bound.field, "prepare_value") else value
    }


def change_form_data(response) -> dict:
    """Every field of the admin form and its inlines, with the values the page shows."""
    data: dict = {}
    form = response.context["adminform"].form
    for name in form.fields:
        data.update(_value(form[name]))
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            bound = formset.management_form[name]
            data[bound.html_name] = bound.value()
        for sub in formset.forms:
            for name in sub.fields:
                data.update(_value(sub[name]))
    return {key: ("" if value is None else value) for key, value in data.items()}
