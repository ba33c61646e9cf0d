"""Transaction references (流水号): how a posting is named outside the bank.

A reference is the posting's value date and its number, ``YYYYMMDD`` then ten
digits (``20261129`` ``0000012345``): unique, printed on statements, and what
the clearing side quotes back. It is derived, not stored, so reading one back
costs a parse, not a lookup.
"""

from __future__ import annotations

import re
from datetime import date

_REFERENCE = re.compile(r"(\d{8})(\d{10})")


def posting_reference(posting_id: int, value_date: date) -> str:
    return f"{value_date:%Y%m%d}{posting_id:010d}"


def posting_of(reference: str, value_date: date) -> int | None:
    """The posting ``reference`` names if it is one of ours for ``value_date``."""
    found = _REFERENCE.fullmatch(reference)
    if found is None or found[1] != f"{value_date:%Y%m%d}":
        return None
    return int(found[2])
