"""Repayment schedules (还款计划), computed exactly and rounded where the rules say.

- Monthly rate r = annual rate / 12; due dates monthly from the disbursement
  date, on the same day of the month (the month's last day where it has none).
- EQUAL_INSTALLMENT (等额本息): the payment is the annuity
  P·r·(1+r)^n / ((1+r)^n − 1), rounded half-up to the fen; each month's interest
  is the outstanding principal × r, rounded half-up; the principal part is the
  payment less the interest, and the last installment takes whatever principal
  is left, so the principal parts add up to the loan exactly.
- EQUAL_PRINCIPAL (等额本金): principal P/n each month, rounded half-up, the last
  absorbing the rounding; interest on what is outstanding, rounded half-up.

The arithmetic is exact (fractions), so an amount of exactly half a fen is
always rounded up, however many digits the monthly rate has.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from plugins.finance.dates import add_months

FEN = Decimal("0.01")


class RepaymentMethod(enum.StrEnum):
    EQUAL_INSTALLMENT = "EQUAL_INSTALLMENT"
    EQUAL_PRINCIPAL = "EQUAL_PRINCIPAL"


@dataclass(frozen=True)
class PlannedInstallment:
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def to_fen(amount: Fraction | Decimal) -> Decimal:
    """``amount`` rounded half-up to the fen, exactly (a Fraction never loses a digit)."""
    fen = math.floor(Fraction(amount) * 100 + Fraction(1, 2))
    return Decimal(fen).scaleb(-2).quantize(FEN)


def monthly_rate(annual_rate: Decimal) -> Fraction:
    """The annual rate in percent as an exact monthly fraction (4.35 % a year is 0.003625)."""
    return Fraction(annual_rate) / 1200


def annuity_payment(principal: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """The 等额本息 monthly payment, rounded half-up to the fen."""
    r = monthly_rate(annual_rate)
    if r == 0:
        return to_fen(Fraction(principal) / months)
    growth = (1 + r) ** months
    return to_fen(Fraction(principal) * r * growth / (growth - 1))


def repayment_schedule(
    principal: Decimal,
    annual_rate: Decimal,
    months: int,
    method: RepaymentMethod,
    start: date,
) -> list[PlannedInstallment]:
    """The installments of a loan of ``principal`` paid out on ``start``.

    A payment rounded up can repay a small loan over a long term a month or two
    early (1,000.00 over 360 months at 12 %): the schedule then ends there, its
    last installment the smaller one, rather than run on with negative parts.
    """
    r = monthly_rate(annual_rate)
    payment = annuity_payment(principal, annual_rate, months)
    equal_principal = to_fen(Fraction(principal) / months)
    outstanding = principal
    planned = []
    for number in range(1, months + 1):
        interest = to_fen(Fraction(outstanding) * r)
        if method is RepaymentMethod.EQUAL_INSTALLMENT:
            part = payment - interest
        else:
            part = equal_principal
        if number == months or part >= outstanding:
            part = outstanding
        planned.append(PlannedInstallment(number, add_months(start, number), part, interest))
        outstanding -= part
        if outstanding == 0:
            break
    return planned
