"""Template helpers for scores, levels, verdicts and severities."""

from decimal import Decimal

from django import template

from scoring import levels

register = template.Library()

SEVERITY_SLUGS = {4: "critical", 3: "high", 2: "medium", 1: "low", 0: "info"}


@register.filter
def score(value) -> str:
    """8.5 -> "8.5", None -> "—" (not measured is never shown as 0)."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(str(value)):.1f}"


@register.filter
def level(value) -> levels.Level:
    return levels.level_for(value)


@register.filter
def signed(value) -> str:
    if value is None:
        return ""
    value = Decimal(str(value))
    if value == 0:
        return "±0.0"
    return f"{value:+.1f}"


@register.filter
def trend_class(value) -> str:
    if value is None:
        return "flat"
    value = Decimal(str(value))
    return "up" if value > 0 else ("down" if value < 0 else "flat")


@register.filter
def severity_slug(value) -> str:
    return SEVERITY_SLUGS.get(value, "info")


@register.filter
def get_item(mapping, key):
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def verdict_slug(value) -> str:
    return str(value or "unknown").replace("_", "-")
