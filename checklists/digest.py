"""Other sections of the daily digest: the one e-mail per owner and day that the checklist
reminders send (claimed before sending, see `services.reminders_send`).

An app above checklists (governance: exceptions about to expire, SLA breaches) registers a
builder in its `AppConfig.ready`; checklists never imports it. A builder returns, for a day,
the lines each user should read, by user id. Whoever has a line gets the digest, checklists due
or not, and still at most once a day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model


@dataclass(frozen=True)
class DigestLine:
    text: str
    url: str = ""  # absolute link, or empty


@dataclass
class DigestSection:
    title: str
    lines: list[DigestLine] = field(default_factory=list)


SectionBuilder = Callable[[dt.date], dict[int, list[DigestLine]]]

_builders: list[tuple[str, SectionBuilder]] = []


def register_section(title: str, builder: SectionBuilder) -> None:
    if all(existing is not builder for _title, existing in _builders):
        _builders.append((title, builder))


def sections_by_owner(today: dt.date) -> dict[int, list[DigestSection]]:
    """{user id: [section with lines]} for every registered builder, only users who can get mail
    (active, with an e-mail address)."""
    wanted: dict[int, list[DigestSection]] = {}
    for title, builder in _builders:
        for user_id, lines in builder(today).items():
            if lines:
                wanted.setdefault(user_id, []).append(DigestSection(title, list(lines)))
    if not wanted:
        return {}
    reachable = set(
        get_user_model()
        .objects.filter(pk__in=list(wanted), is_active=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    return {user_id: sections for user_id, sections in wanted.items() if user_id in reachable}
