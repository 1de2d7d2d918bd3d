"""Template filters for what imported reports stated."""

from __future__ import annotations

from django import template

from projects.models import Audit
from reports.models import StatedScore

register = template.Library()


@register.filter
def unmapped_stated_scores(audit: Audit) -> list[StatedScore]:
    """The scores the audit's report stated under a label that names no maturity domain."""
    return list(StatedScore.objects.filter(audit=audit, domain__isnull=True).order_by("order", "id"))
