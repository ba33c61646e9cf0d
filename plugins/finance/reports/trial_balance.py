"""The trial balance (试算平衡表) of a business date: every ledger line (the
customers' deposits of each product, each of the bank's internal accounts)
with its opening balance, the day's debits and credits, and its closing
balance. In a sound ledger, per currency, debits equal credits and the
balances sum to zero.

Balances are signed as postings are: positive is a credit balance (what the
bank owes, e.g. deposits), negative a debit balance (what it holds or is owed).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import MinorUnits
from core.csv_text import csv_text
from plugins.finance.models import Account, InternalAccount, Posting, Product

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class TrialBalanceLine:
    code: str
    name: str
    currency: str
    opening: Decimal
    debits: Decimal
    credits: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening - self.debits + self.credits


@dataclass(frozen=True)
class CurrencyTotals:
    currency: str
    opening: Decimal
    debits: Decimal
    credits: Decimal
    closing: Decimal

    @property
    def balanced(self) -> bool:
        return self.debits == self.credits and self.opening == 0 and self.closing == 0


@dataclass(frozen=True)
class TrialBalance:
    business_date: date
    lines: list[TrialBalanceLine]

    @property
    def totals(self) -> list[CurrencyTotals]:
        sums: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO])
        for line in self.lines:
            figures = sums[line.currency]
            for i, value in enumerate((line.opening, line.debits, line.credits, line.closing)):
                figures[i] += value
        return [CurrencyTotals(currency, *figures) for currency, figures in sorted(sums.items())]

    @property
    def balanced(self) -> bool:
        return all(total.balanced for total in self.totals)

    def as_csv(self) -> str:
        lines: list[list[Any]] = [
            ["business_date", self.business_date.isoformat()],
            ["code", "name", "currency", "opening", "debits", "credits", "closing"],
        ]
        lines += [
            [
                line.code,
                line.name,
                line.currency,
                line.opening,
                line.debits,
                line.credits,
                line.closing,
            ]
            for line in self.lines
        ]
        lines += [
            ["TOTAL", "", t.currency, t.opening, t.debits, t.credits, t.closing]
            for t in self.totals
        ]
        return csv_text(lines)


INTERNAL_NAMES = {
    InternalAccount.CASH: "Cash (库存现金)",
    InternalAccount.INTEREST_EXPENSE: "Interest expense (利息支出)",
    InternalAccount.INTEREST_INCOME: "Interest income (利息收入)",
    InternalAccount.LOANS_RECEIVABLE: "Loans receivable (贷款)",
    InternalAccount.SUSPENSE: "Suspense (待清算)",
}


async def trial_balance(session: AsyncSession, day: date) -> TrialBalance:
    def money(expression: Any) -> Any:
        return type_coerce(func.sum(expression), MinorUnits())

    today = Posting.value_date == day
    statement = (
        select(
            Account.internal,
            Product.code,
            Product.name,
            Posting.currency,
            money(case((Posting.value_date < day, Posting.amount), else_=0)),
            money(case((today & (Posting.amount < 0), -Posting.amount), else_=0)),
            money(case((today & (Posting.amount > 0), Posting.amount), else_=0)),
        )
        .join(Account, Account.id == Posting.account_id)
        .outerjoin(Product, Product.id == Account.product_id)
        .where(Posting.value_date <= day)
        .group_by(Account.internal, Product.code, Product.name, Posting.currency)
        .order_by(Account.internal.is_not(None), Product.code, Account.internal, Posting.currency)  # type: ignore[union-attr]
    )
    lines = []
    for internal, product_code, product_name, currency, *figures in await session.execute(
        statement
    ):
        if internal is not None:
            code, name = internal.value, INTERNAL_NAMES[internal]
        else:
            code, name = f"DEPOSITS:{product_code}", f"Customer deposits: {product_name}"
        lines.append(TrialBalanceLine(code, name, currency, *figures))
    return TrialBalance(day, lines)
