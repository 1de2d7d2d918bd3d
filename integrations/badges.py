"""README badges: per-project keys (random, rotatable, compared in constant time) and the SVG."""

from __future__ import annotations

import hmac
import secrets
from xml.sax.saxutils import escape

from projects.models import Audit, Project
from scoring.levels import level_for
from scoring.models import ProjectSummary

COLORS = {
    "excellent": "#2e7d32",
    "good": "#558b2f",
    "average": "#f9a825",
    "insufficient": "#ef6c00",
    "critical": "#c62828",
    "none": "#757575",
}
VERDICT_COLORS = {
    Audit.Verdict.PRODUCTION_READY: "#2e7d32",
    Audit.Verdict.WITH_RESERVATIONS: "#f9a825",
    Audit.Verdict.NOT_READY: "#c62828",
    Audit.Verdict.UNKNOWN: "#757575",
}
KINDS = ("score", "gate")


def badge_key_rotate(*, project: Project) -> str:
    """Give the project a new badge key (its old badge URLs stop working); returns the key."""
    from integrations.models import BadgeKey

    key = secrets.token_urlsafe(24)
    BadgeKey.objects.update_or_create(project=project, defaults={"key": key})
    return key


def badge_project(*, slug: str, key: str) -> Project | None:
    """The project whose badge key is `key`, else None (unknown project, no key or wrong key)."""
    from integrations.models import BadgeKey

    stored = BadgeKey.objects.select_related("project").filter(project__slug=slug).first()
    if stored is None:
        hmac.compare_digest(key.encode(), b"x" * 32)  # the same work whether or not the slug exists
        return None
    return stored.project if hmac.compare_digest(key.encode(), stored.key.encode()) else None


def badge_text(*, project: Project, kind: str) -> tuple[str, str, str]:
    """(label, value, colour) of a project's badge."""
    summary = ProjectSummary.objects.filter(project=project).first()
    if kind == "gate":
        verdict = summary.computed_verdict if summary else Audit.Verdict.UNKNOWN
        return "gate", Audit.Verdict(verdict).label, VERDICT_COLORS[Audit.Verdict(verdict)]
    score = summary.global_score if summary else None
    level = level_for(score)
    value = level.name if score is None else f"{score:.1f} · {level.name}"
    return "maturity", value, COLORS.get(level.slug, COLORS["none"])


def _width(text: str) -> int:
    return 10 + 7 * len(text)


def svg(label: str, value: str, color: str) -> str:
    """A flat two-part badge; every text is XML-escaped, no script, no style element."""
    left, right = _width(label), _width(value)
    total = left + right
    label_x, value_x = left // 2, left + right // 2
    safe_label, safe_value, safe_color = escape(label), escape(value), escape(color, {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{escape(label, {chr(34): "&quot;"})}: {escape(value, {chr(34): "&quot;"})}">'
        f"<title>{safe_label}: {safe_value}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{safe_color}"/>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{label_x}" y="14">{safe_label}</text>'
        f'<text x="{value_x}" y="14">{safe_value}</text>'
        "</g></svg>"
    )
