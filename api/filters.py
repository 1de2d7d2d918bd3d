# mypy: disallow-subclassing-any=False, disallow-untyped-decorators=False
# (Django REST Framework and django-filter ship no types: their classes are Any to mypy.)
"""Query filters of the list endpoints (project, severity, status, domain, dates) and a strict
ordering: an unknown filter value or ordering field answers 400 naming it."""

from __future__ import annotations

from typing import Any

import django_filters as df
from django.db.models import QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

from checklists.models import Checklist, ChecklistItem, ItemState
from findings.models import Finding, ImportRun, Severity
from governance.models import PolicyException, Reason, State, Target
from projects.models import Audit, DomainScore
from rescans.models import RescanRun
from scoring.models import ProjectSummary

SEVERITY_BY_NAME = {label.lower(): int(value) for value, label in Severity.choices}


class StrictOrdering(OrderingFilter):
    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: list[str], view: Any, request: Request
    ) -> list[str]:
        valid: list[str] = super().remove_invalid_fields(queryset, fields, view, request)
        unknown = [f for f in fields if f not in valid]
        if unknown:
            allowed = sorted(
                name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
            )
            raise ValidationError(
                {"ordering": [f"Cannot order by {', '.join(unknown)}; choose among {', '.join(allowed)}."]}
            )
        return valid


def project_filter(path: str = "project__slug") -> df.CharFilter:
    return df.CharFilter(field_name=path, help_text="A project's slug.")


def column_choices(**kwargs: Any) -> df.MultipleChoiceFilter:
    """?status=a&status=b on a column of the listed model itself: each row matches once, so no
    DISTINCT (django-filter's default), which over millions of rows sorts every matching row
    before the LIMIT."""
    return df.MultipleChoiceFilter(distinct=False, **kwargs)


class SeverityFilter(df.MultipleChoiceFilter):
    """?severity=critical&severity=high (names, as the API shows them)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[(name, name) for name in SEVERITY_BY_NAME], **kwargs)

    def filter(self, qs: QuerySet[Any], value: list[str]) -> QuerySet[Any]:
        if not value:
            return qs
        return qs.filter(severity__in=[SEVERITY_BY_NAME[name] for name in value])


class AuditFilter(df.FilterSet):
    project = project_filter()
    status = column_choices(choices=Audit.Status.choices)
    kind = column_choices(choices=Audit.Kind.choices)
    date_after = df.DateFilter(field_name="audit_date", lookup_expr="gte")
    date_before = df.DateFilter(field_name="audit_date", lookup_expr="lte")

    class Meta:
        model = Audit
        fields: list[str] = []


class DomainScoreFilter(df.FilterSet):
    project = project_filter("audit__project__slug")
    audit = df.NumberFilter(field_name="audit_id")
    domain = df.CharFilter(field_name="domain__slug", help_text="A domain's slug.")
    source = df.ChoiceFilter(choices=DomainScore.Source.choices)
    date_after = df.DateFilter(field_name="audit__audit_date", lookup_expr="gte")
    date_before = df.DateFilter(field_name="audit__audit_date", lookup_expr="lte")

    class Meta:
        model = DomainScore
        fields: list[str] = []


class FindingFilter(df.FilterSet):
    project = project_filter()
    severity = SeverityFilter()
    status = column_choices(choices=Finding.Status.choices)
    domain = df.CharFilter(field_name="domain__slug", help_text="A domain's slug.")
    tool = df.CharFilter()
    rule_id = df.CharFilter()
    assignee = df.CharFilter(field_name="assignee__username", help_text="A username.")
    first_seen_after = df.IsoDateTimeFilter(field_name="first_seen_at", lookup_expr="gte")
    first_seen_before = df.IsoDateTimeFilter(field_name="first_seen_at", lookup_expr="lt")
    last_seen_after = df.IsoDateTimeFilter(field_name="last_seen_at", lookup_expr="gte")
    fixed_after = df.IsoDateTimeFilter(field_name="fixed_at", lookup_expr="gte")
    sla_due_before = df.IsoDateTimeFilter(field_name="sla_due_at", lookup_expr="lt")

    class Meta:
        model = Finding
        fields: list[str] = []


class ExceptionFilter(df.FilterSet):
    project = project_filter()
    state = column_choices(choices=State.choices)
    reason = column_choices(choices=Reason.choices)
    target = df.ChoiceFilter(choices=Target.choices)
    finding = df.NumberFilter(field_name="finding_id")
    expires_before = df.DateFilter(field_name="expires_on", lookup_expr="lte")

    class Meta:
        model = PolicyException
        fields: list[str] = []


class ChecklistFilter(df.FilterSet):
    project = project_filter()
    audit = df.NumberFilter(field_name="audit_id")
    owner = df.CharFilter(field_name="owner__username", help_text="A username.")
    due_after = df.DateFilter(field_name="due_date", lookup_expr="gte")
    due_before = df.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Checklist
        fields: list[str] = []


class ChecklistItemFilter(df.FilterSet):
    project = project_filter("checklist__project__slug")
    checklist = df.NumberFilter(field_name="checklist_id")
    state = column_choices(choices=ItemState.choices)
    domain = df.CharFilter(field_name="domain__slug", help_text="A domain's slug.")
    is_critical = df.BooleanFilter()

    class Meta:
        model = ChecklistItem
        fields: list[str] = []


class ImportRunFilter(df.FilterSet):
    project = project_filter()
    audit = df.NumberFilter(field_name="audit_id")
    status = column_choices(choices=ImportRun.Status.choices)
    format = df.CharFilter()
    tool = df.CharFilter()
    created_after = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = df.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ImportRun
        fields: list[str] = []


class RescanFilter(df.FilterSet):
    project = project_filter("audit__project__slug")
    state = column_choices(choices=RescanRun.State.choices)
    outcome = column_choices(choices=RescanRun.Outcome.choices)
    requested_after = df.IsoDateTimeFilter(field_name="requested_at", lookup_expr="gte")
    requested_before = df.IsoDateTimeFilter(field_name="requested_at", lookup_expr="lt")

    class Meta:
        model = RescanRun
        fields: list[str] = []


class PortfolioFilter(df.FilterSet):
    project = project_filter()
    verdict = column_choices(field_name="computed_verdict", choices=Audit.Verdict.choices)
    audited_after = df.DateFilter(field_name="latest_audit_date", lookup_expr="gte")
    audited_before = df.DateFilter(field_name="latest_audit_date", lookup_expr="lte")

    class Meta:
        model = ProjectSummary
        fields: list[str] = []
