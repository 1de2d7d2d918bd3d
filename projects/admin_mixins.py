"""Object-level limits for admin classes whose rows belong to a project, and the admin's JSON
form field that refuses what the database cannot store."""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from django import forms
from django.contrib.admin.utils import display_for_field
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput, JSONString
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst

from projects import access
from projects.params import parse_id

_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _json_problem(value: Any, depth: int = 0) -> str:
    """Why PostgreSQL's jsonb would refuse `value`, or ""."""
    if depth > 100:
        return "it is nested more than 100 levels deep"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN and Infinity are not JSON numbers"
    if isinstance(value, str) and "\x00" in value:
        return "text cannot contain the NUL character (\\u0000)"
    if isinstance(value, str) and _SURROGATE_RE.search(value):
        return "text cannot contain a lone UTF-16 surrogate (\\ud800 to \\udfff)"
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _json_problem(key, depth + 1) or _json_problem(item, depth + 1)
            if problem:
                return problem
    if isinstance(value, list):
        for item in value:
            problem = _json_problem(item, depth + 1)
            if problem:
                return problem
    return ""


class StrictJSONFormField(forms.JSONField):
    """Django's JSON form field accepts NaN, Infinity, "\\u0000" (PostgreSQL refuses them: a 500
    on save) and lets integers past Python's 4300-digit limit or deep nesting raise. Each is a
    form error here, naming the problem."""

    def _load(self, value: str) -> Any:
        try:
            return json.loads(value, cls=self.decoder, parse_constant=_refuse_constant)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"Enter valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from None
        except ValueError as exc:
            raise ValidationError(f"Enter valid JSON: {str(exc).split(':')[0]}.") from None
        except RecursionError:
            raise ValidationError("Enter valid JSON: it is nested too deeply.") from None

    def to_python(self, value):
        if self.disabled:
            return value
        if value in self.empty_values:
            return None
        if isinstance(value, list | dict | int | float | JSONString):
            converted = value
        else:
            converted = self._load(value)
        problem = _json_problem(converted)
        if problem:
            raise ValidationError(f"Enter valid JSON: {problem}.")
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            value = self._load(data)
        except ValidationError:
            return InvalidJSONInput(data)
        # Shown again as typed: re-encoding a lone surrogate would fail the whole page.
        return InvalidJSONInput(data) if _json_problem(value) else value


# Dates people enter: anything outside these years is a typo, and near 9999-12-31 the date
# arithmetic of validity periods and due-date extensions leaves the calendar Python knows.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2999, 12, 31)


def check_date_in_range(value: dt.date | None) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValidationError(
            f"Enter a date between {EARLIEST_DATE:%Y-%m-%d} and {LATEST_DATE:%Y-%m-%d}.", code="date_range"
        )


class BoundedDateField(forms.DateField):
    default_validators = [check_date_in_range]


class BoundedSplitDateTimeField(forms.SplitDateTimeField):
    default_validators = [check_date_in_range]


# The ranges of PostgreSQL's columns, whatever database runs (SQLite accepts 64-bit values the
# production database then refuses). Every float column is a duration: never negative.
INT_MAX = 2**31 - 1
SMALLINT_MAX = 2**15 - 1
STRICT_FORMFIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.JSONField: {"form_class": StrictJSONFormField},
    models.IntegerField: {"min_value": -INT_MAX - 1, "max_value": INT_MAX},
    models.PositiveIntegerField: {"min_value": 0, "max_value": INT_MAX},
    models.SmallIntegerField: {"min_value": -SMALLINT_MAX - 1, "max_value": SMALLINT_MAX},
    models.PositiveSmallIntegerField: {"min_value": 0, "max_value": SMALLINT_MAX},
    models.FloatField: {"min_value": 0, "max_value": 10.0**12},
    models.DateField: {"form_class": BoundedDateField},
    models.DateTimeField: {"form_class": BoundedSplitDateTimeField},
}


class ProjectScopedAdminMixin:
    """Limits a ModelAdmin to the rows of projects the user may see.

    `project_path` names the lookup from the model to its Project ("project",
    "checklist__project", or "" for Project itself). Rows outside the user's projects are
    missing from lists and answer 403 when opened by URL; foreign keys to projects only offer
    the user's projects.
    """

    project_path = "project"
    formfield_overrides: ClassVar[Mapping[type[models.Field[Any, Any]], Mapping[str, Any]]] = (
        STRICT_FORMFIELDS
    )

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if access.sees_all_projects(request.user):
            return qs
        return qs.filter(access.project_scope_q(request.user, self.project_path))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        if from_field is None and parse_id(object_id) is None:
            # int() reads "١" as 1: only ASCII ids name rows (the admin then says "not found").
            return None
        obj = super().get_object(request, object_id, from_field)
        if obj is None and not access.sees_all_projects(request.user):
            # Exists but belongs to another project: say "forbidden", not "gone".
            field = from_field or self.model._meta.pk.name
            try:
                exists = self.model._default_manager.filter(**{field: object_id}).exists()
            except (ValueError, TypeError):
                exists = False
            if exists:
                raise PermissionDenied
        return obj

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model._meta.label == "projects.Project":
            kwargs["queryset"] = access.visible_projects(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def record_as_html(record: models.Model | None) -> str:
    """A record another app keeps about an object (a re-scan run, a report's provenance), as a
    read-only list of its fields for that object's admin page."""
    if record is None:
        return "—"
    rows = [
        (capfirst(str(field.verbose_name)), display_for_field(getattr(record, field.name), field, "—"))
        for field in record._meta.fields
        if not field.primary_key
    ]
    return format_html(
        '<dl class="admin-record">{}</dl>', format_html_join("", "<dt>{}</dt><dd>{}</dd>", rows)
    )
