"""Amounts of money as they come in: positive, exact to the fen, within bounds."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from core.errors import BusinessError

LARGEST = Decimal("1000000000000.00")
"""A trillion: more than any one movement, and far inside what a BIGINT of fen holds."""


def checked_amount(value: Decimal, field: Sequence[str]) -> Decimal:
    """``value`` as an amount of money, or INVALID_AMOUNT saying what is wrong with it."""
    if not value.is_finite():
        problem = "must be a number"
    elif value <= 0:
        problem = "must be more than zero"
    elif value > LARGEST:  # before quantizing, which a huge value overflows
        problem = f"may be at most {LARGEST:,}"
    elif value != value.quantize(Decimal("0.01")):
        problem = "may have at most two decimal places"
    else:
        return value.quantize(Decimal("0.01"))
    raise BusinessError("INVALID_AMOUNT", f"The amount {problem}.", list(field))
