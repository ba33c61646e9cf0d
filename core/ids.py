"""Database ids as they come back from clients (inside global IDs and cursors)."""

from __future__ import annotations

import re

MAX_ID = 2**31 - 1
"""The largest id an INTEGER primary key holds on every supported database."""

_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(text: str) -> int | None:
    """The id ``text`` names, or None if it is not one a row could have."""
    if not _DIGITS.fullmatch(text):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
