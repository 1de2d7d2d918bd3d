"""Admin of the scores imported reports stated: map a label to a maturity domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from projects.admin_mixins import ProjectScopedAdminMixin
from reports.errors import ReportError
from reports.models import StatedScore
from reports.services import stated_score_map

# The generic class of the type stubs; Django's own ModelAdmin takes no type arguments at run time.
if TYPE_CHECKING:
    _StatedScoreAdminBase = admin.ModelAdmin[StatedScore]
else:
    _StatedScoreAdminBase = admin.ModelAdmin


class MappedFilter(admin.SimpleListFilter):
    title = "mapped to a domain"
    parameter_name = "mapped"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[StatedScore]
    ) -> tuple[tuple[str, str], ...]:
        return (("no", "No"), ("yes", "Yes"))

    def queryset(self, request: HttpRequest, queryset: QuerySet[StatedScore]) -> QuerySet[StatedScore]:
        if self.value() == "no":
            return queryset.filter(domain__isnull=True)
        if self.value() == "yes":
            return queryset.filter(domain__isnull=False)
        return queryset


@admin.register(StatedScore)
class StatedScoreAdmin(ProjectScopedAdminMixin, _StatedScoreAdminBase):
    """Choosing a domain for a label maps that label everywhere (see `stated_score_map`)."""

    project_path = "audit__project"
    list_display = ("label", "score", "raw", "audit", "domain")
    list_editable = ("domain",)
    list_filter = (MappedFilter, "domain")
    search_fields = ("label", "audit__title", "audit__project__name")
    list_select_related = ("audit", "domain")
    fields = ("audit", "label", "score", "before", "scale", "raw", "domain")
    readonly_fields = ("audit", "label", "score", "before", "scale", "raw")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: StatedScore, form: ModelForm[StatedScore], change: bool
    ) -> None:
        if "domain" not in form.changed_data:
            return
        if obj.domain is None:
            messages.error(request, "A mapped label is unmapped by removing it from the domain's aliases.")
            return
        try:
            count = stated_score_map(stated_score=obj, domain=obj.domain, user=request.user)
        except ReportError as exc:
            messages.error(request, str(exc))
            return
        messages.success(
            request,
            f"'{obj.label}' is now an alias of {obj.domain.name}: {count} stated score(s) mapped; "
            "future imports map it too.",
        )
