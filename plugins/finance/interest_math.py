"""Interest arithmetic, exact: integers of fen and of rate units, one rounding.

Rates are held in ten-thousandths of a percent (1.45 % is 14500), balances in
fen, so a day's accrual on a demand deposit is the integer ``balance × rate``
and interest in fen is that sum over the days divided by 360 × 100 × 10,000,
rounded half-up once, when it is paid (PBoC: 积数计息, 360 days a year).
"""

from __future__ import annotations

from decimal import Decimal

from core.money import from_minor_units, to_minor_units
from plugins.finance.models import RATE_SCALE

DAYS_PER_YEAR = 360
ACCRUAL_DIVISOR = DAYS_PER_YEAR * 100 * 10**RATE_SCALE
"""Fen of interest = accrual / ACCRUAL_DIVISOR."""


def plain_rate(annual_rate: Decimal) -> Decimal:
    """A rate as people write it: 1.45, 10, 0.05 (not 1.4500 or 1E+1)."""
    return Decimal(f"{annual_rate.normalize():f}")


def rate_units(annual_rate: Decimal) -> int:
    return to_minor_units(annual_rate, RATE_SCALE)


def round_half_up_division(numerator: int, divisor: int) -> int:
    """``numerator / divisor`` rounded half-up to a whole number (both non-negative)."""
    return (2 * numerator + divisor) // (2 * divisor)


def accrued_to_pay(accrual: int) -> Decimal:
    """The interest an accrual pays, rounded half-up to the fen."""
    return from_minor_units(round_half_up_division(accrual, ACCRUAL_DIVISOR))


def demand_interest(principal: Decimal, annual_rate: Decimal, days: int) -> Decimal:
    """Simple interest at the demand rate for ``days`` days, to the fen."""
    accrual = to_minor_units(principal) * rate_units(annual_rate) * days
    return accrued_to_pay(accrual)


def fixed_interest(principal: Decimal, annual_rate: Decimal, term_months: int) -> Decimal:
    """A fixed deposit held to maturity: principal × rate × months / 12, to the fen."""
    numerator = to_minor_units(principal) * rate_units(annual_rate) * term_months
    return from_minor_units(round_half_up_division(numerator, 12 * 100 * 10**RATE_SCALE))
