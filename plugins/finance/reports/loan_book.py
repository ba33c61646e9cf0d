"""The loan book (贷款余额表): active loans outstanding and overdue by branch,
at the close of a business date.

The end-of-day batch writes each closed date's figures (one INSERT ... SELECT
over the loans), after the day's collections and penalty interest; the report
reads them back, and ties the principal outstanding to the ledger's loans
receivable at that close.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, delete, func, insert, literal, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import MinorUnits
from core.csv_text import csv_text
from core.end_of_day import EndOfDayRun
from core.errors import RequestError
from plugins.customer.models import Customer
from plugins.finance.interest_math import ACCRUAL_DIVISOR
from plugins.finance.loans.models import Installment, Loan, LoanStatus
from plugins.finance.models import InternalAccount
from plugins.finance.reports.ledger_totals import balances_as_of
from plugins.finance.reports.models import LoanBookDay
from plugins.security.models import Branch

LOAN_BOOK_STEP = "finance.loan_book"
"""The end-of-day step that keeps the loan book."""


async def record_loan_book(session: AsyncSession, day: date) -> int:
    """Keep the loan book at the close of ``day``; returns how many rows."""

    def money(expression: Any) -> Any:
        return type_coerce(func.coalesce(func.sum(expression), 0), MinorUnits())

    late = (
        select(
            Installment.loan_id,
            func.sum(Installment.principal - Installment.paid_principal).label("principal"),
            func.sum(Installment.interest - Installment.paid_interest).label("interest"),
        )
        .where(Installment.paid_on.is_(None), Installment.due_date <= day)  # type: ignore[union-attr]
        .group_by(Installment.loan_id)
        .subquery()
    )
    penalty = (2 * Loan.penalty_accrual + ACCRUAL_DIVISOR) // (2 * ACCRUAL_DIVISOR)  # type: ignore[operator]
    book = (
        select(
            literal(day, Date),
            Customer.branch_id,
            Loan.currency,
            func.count(),
            money(Loan.outstanding_principal),
            func.count(late.c.loan_id),
            money(late.c.principal),
            money(late.c.interest),
            money(penalty),
        )
        .join(Customer, Customer.id == Loan.customer_id)
        .outerjoin(late, late.c.loan_id == Loan.id)
        .where(Loan.status == LoanStatus.ACTIVE)
        .group_by(Customer.branch_id, Loan.currency)
    )
    await session.execute(delete(LoanBookDay).where(LoanBookDay.business_date == day))
    written = await session.execute(
        insert(LoanBookDay).from_select([f.name for f in LoanBookDay.__table__.columns], book)  # type: ignore[attr-defined]
    )
    return written.rowcount  # type: ignore[attr-defined]


@dataclass(frozen=True)
class LoanBookRow:
    branch_code: str
    branch_name: str
    currency: str
    loans: int
    outstanding_principal: Decimal
    overdue_loans: int
    overdue_principal: Decimal
    overdue_interest: Decimal
    penalty_interest: Decimal


FIGURES = [f.name for f in fields(LoanBookRow)][3:]


@dataclass(frozen=True)
class LoanBook:
    business_date: date
    rows: list[LoanBookRow]
    ledger: dict[str, Decimal] | None
    """Loans receivable per currency in the ledger; None for a branch's view."""

    @property
    def totals(self) -> dict[str, LoanBookRow]:
        zero = Decimal("0.00")
        sums: dict[str, list[Any]] = defaultdict(lambda: [0, zero, 0, zero, zero, zero])
        for row in self.rows:
            figures = sums[row.currency]
            for i, name in enumerate(FIGURES):
                figures[i] += getattr(row, name)
        return {c: LoanBookRow("TOTAL", "", c, *f) for c, f in sorted(sums.items())}

    @property
    def ties(self) -> bool | None:
        if self.ledger is None:
            return None
        outstanding = {c: t.outstanding_principal for c, t in self.totals.items()}
        return {c: a for c, a in outstanding.items() if a} == {
            c: a for c, a in self.ledger.items() if a
        }

    def as_csv(self) -> str:
        lines: list[list[Any]] = [
            ["business_date", self.business_date.isoformat()],
            ["branch", "name", "currency", *FIGURES],
        ]
        for row in [*self.rows, *self.totals.values()]:
            lines.append([getattr(row, f.name) for f in fields(LoanBookRow)])
        if self.ledger is not None:
            lines += [["LEDGER", "", c, "", amount] for c, amount in self.ledger.items()]
        return csv_text(lines)


async def loan_book(session: AsyncSession, day: date, viewer: Principal | None) -> LoanBook:
    """The loan book as ``viewer`` may see it (their branch, or the bank);
    REPORT_NOT_AVAILABLE for a date whose end of day did not keep one (the open
    date, or one closed before the finance plugin was)."""
    kept = await session.scalar(select(EndOfDayRun.report).where(EndOfDayRun.business_date == day))
    if kept is None or LOAN_BOOK_STEP not in json.loads(kept):
        raise RequestError(
            f"There is no loan book for {day}: it is kept when a date is closed.",
            "REPORT_NOT_AVAILABLE",
        )
    statement = (
        select(
            Branch.code,
            Branch.name,
            LoanBookDay.currency,
            *(getattr(LoanBookDay, f) for f in FIGURES),
        )
        .join(Branch, Branch.id == LoanBookDay.branch_id)
        .where(LoanBookDay.business_date == day)
        .order_by(Branch.code, LoanBookDay.currency)
    )
    whole_bank = viewer is None or viewer.scope.is_everything
    if not whole_bank:
        statement = statement.where(LoanBookDay.branch_id == viewer.scope.branch_id)  # type: ignore[union-attr]
    rows = [LoanBookRow(*row) for row in await session.execute(statement)]
    ledger = None
    if whole_bank:
        receivable = await balances_as_of(session, day, InternalAccount.LOANS_RECEIVABLE)
        ledger = {currency: -amount for currency, amount in receivable.items()}
    return LoanBook(day, rows, ledger)
