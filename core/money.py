"""Money: an exact Decimal amount with its currency, and its minor units.

Amounts are stored and summed as whole minor units (fen at scale 2), so that
SQL arithmetic stays exact on every database.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import strawberry

from core.errors import BusinessError

LARGEST = Decimal("1000000000000.00")
"""A trillion: more than any one movement, and far inside what a BIGINT of fen holds."""


@strawberry.type(description="An exact amount of money (a Decimal, sent as a string).")
class Money:
    amount: Decimal
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY.")


def to_minor_units(amount: Decimal, scale: int = 2) -> int:
    """``amount`` as a whole number of minor units (1234.56 is 123456 fen).

    A value finer than the scale is refused with ValueError, never rounded:
    rounding is a business rule, applied once, where the rule says.
    """
    units = Decimal(amount).scaleb(scale)
    if units != units.to_integral_value():
        raise ValueError(f"{amount} has more than {scale} decimal places")
    return int(units)


def from_minor_units(units: int, scale: int = 2) -> Decimal:
    """A whole number of minor units as an amount, written at its scale (500 is 5.00)."""
    unit = Decimal(1).scaleb(-scale)
    return (Decimal(units) * unit).quantize(unit)


def checked_amount(value: Decimal, field: Sequence[str]) -> Decimal:
    """``value`` as an amount of money as it comes in: positive, exact to the
    fen, within bounds; or INVALID_AMOUNT saying what is wrong with it."""
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
