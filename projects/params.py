"""Numbers read from requests (query strings, form fields, URL parts).

str.isdigit() and int() accept every Unicode digit: "²".isdigit() is True and int("²") raises,
int("١") is 1. Ids from a request are ASCII digits within the database's bigint, or nothing.
"""

from __future__ import annotations

import re

_ASCII_ID_RE = re.compile(r"[0-9]{1,18}")  # 18 digits always fit a signed 64-bit integer


def parse_id(value: object) -> int | None:
    """The positive id `value` spells in ASCII digits, else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value < 2**63 else None
    if not isinstance(value, str) or not _ASCII_ID_RE.fullmatch(value):
        return None
    number = int(value)
    return number or None
