"""How a score and an audit are graded on the pages: level bands and freshness.

The bands are those of the sample reports (docs/scoring.md, "Levels"); the AUDITOR_SCORE_LEVELS
setting replaces them. An audit is stale after its `valid_until` date ("Freshness").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

# Level bands on the 0-10 scale, best first: (lower bound, name, css slug). Configurable with
# the AUDITOR_SCORE_LEVELS setting (same shape).
DEFAULT_LEVELS = (
    (Decimal("8.5"), "Excellent", "excellent"),
    (Decimal("7.0"), "Good", "good"),
    (Decimal("5.5"), "Average", "average"),
    (Decimal("4.0"), "Insufficient", "insufficient"),
    (Decimal("0.0"), "Critical", "critical"),
)


@dataclass(frozen=True)
class Level:
    name: str
    slug: str


NOT_MEASURED = Level("Not measured", "none")


def levels() -> tuple[tuple[Decimal, str, str], ...]:
    configured = settings.AUDITOR_SCORE_LEVELS
    if not configured:
        return DEFAULT_LEVELS
    return tuple(sorted(((Decimal(str(b)), n, s) for b, n, s in configured), reverse=True))


def level_for(score) -> Level:
    """The level band of a 0-10 score; "Not measured" for None."""
    if score is None:
        return NOT_MEASURED
    score = Decimal(str(score))
    for bound, name, slug in levels():
        if score >= bound:
            return Level(name, slug)
    bound, name, slug = levels()[-1]
    return Level(name, slug)


def is_stale(valid_until: dt.date | None, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return valid_until is not None and valid_until < today
