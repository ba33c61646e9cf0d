"""Daily balances (日终余额表): what customers' deposit accounts held at the
close of a business date, by branch, product or service tier.

Balances are summed from the postings up to that date, so any past date can be
reported; a branch's staff see their branch, head office the bank, with the
ledger's own figure to tie the totals to.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import DataScope, Principal
from core.columns import MinorUnits
from core.csv_text import csv_text
from plugins.customer.models import Customer
from plugins.customer.tiers import tier_at_close_of
from plugins.finance.models import Account, Posting, Product
from plugins.finance.reports.ledger_totals import balances_as_of
from plugins.security.models import Branch


class BalanceGrouping(enum.StrEnum):
    BRANCH = "BRANCH"
    PRODUCT = "PRODUCT"
    TIER = "TIER"


@dataclass(frozen=True)
class BalanceRow:
    code: str
    name: str
    currency: str
    accounts: int
    """Accounts with a balance at the close."""
    balance: Decimal


@dataclass(frozen=True)
class BalanceReport:
    business_date: date
    grouped_by: BalanceGrouping
    rows: list[BalanceRow]
    ledger: dict[str, Decimal] | None
    """The ledger's figure per currency; None for a branch's view (no ledger of its own)."""

    @property
    def totals(self) -> dict[str, Decimal]:
        totals: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
        for row in self.rows:
            totals[row.currency] += row.balance
        return dict(totals)

    @property
    def ties(self) -> bool | None:
        if self.ledger is None:
            return None
        return {c: a for c, a in self.totals.items() if a} == {
            c: a for c, a in self.ledger.items() if a
        }

    def as_csv(self) -> str:
        header = [self.grouped_by.value.lower(), "name", "currency", "accounts", "balance"]
        lines: list[list[Any]] = [["business_date", self.business_date.isoformat()], header]
        lines += [[r.code, r.name, r.currency, r.accounts, r.balance] for r in self.rows]
        lines += [["TOTAL", "", currency, "", total] for currency, total in self.totals.items()]
        if self.ledger is not None:
            lines += [
                ["LEDGER", "", currency, "", total] for currency, total in self.ledger.items()
            ]
        return csv_text(lines)


async def daily_balances(
    session: AsyncSession, day: date, grouping: BalanceGrouping, viewer: Principal | None
) -> BalanceReport:
    """The report as ``viewer`` may see it (their branch's customers, or the
    bank's); the command line (``viewer`` None) sees the bank. Customers count
    in the tier they had at the close of ``day``."""
    per_account = (
        select(Posting.account_id, func.sum(Posting.amount).label("balance"))
        .where(Posting.value_date <= day)
        .group_by(Posting.account_id)
        .subquery()
    )
    held = (
        select(
            per_account.c.balance,
            Account.currency,
            Account.product_id,
            Customer.branch_id,
            (tier_at_close_of(day) if grouping is BalanceGrouping.TIER else Customer.tier).label(
                "tier"
            ),
        )
        .join(Account, Account.id == per_account.c.account_id)
        .join(Customer, Customer.id == Account.customer_id)
    )
    whole_bank = viewer is None or viewer.scope.is_everything
    if not whole_bank:
        held = held.where(*_within(viewer.scope))  # type: ignore[union-attr]
    accounts = held.subquery()
    code, name = accounts.c.tier, accounts.c.tier
    statement = select().select_from(accounts)
    if grouping is BalanceGrouping.BRANCH:
        code, name = Branch.code, Branch.name
        statement = statement.join(Branch, Branch.id == accounts.c.branch_id)
    elif grouping is BalanceGrouping.PRODUCT:
        code, name = Product.code, Product.name
        statement = statement.join(Product, Product.id == accounts.c.product_id)
    statement = (
        statement.add_columns(
            code,
            name,
            accounts.c.currency,
            func.sum(case((accounts.c.balance != 0, 1), else_=0)),
            type_coerce(func.sum(accounts.c.balance), MinorUnits()),
        )
        .group_by(code, name, accounts.c.currency)
        .order_by(code, accounts.c.currency)
    )
    rows = [
        BalanceRow(str(c), str(n), currency, count, balance)
        for c, n, currency, count, balance in await session.execute(statement)
    ]
    ledger = await balances_as_of(session, day) if whole_bank else None
    return BalanceReport(day, grouping, rows, ledger)


def _within(scope: DataScope) -> list[ColumnElement[bool]]:
    """A branch's customers (a relationship manager's: their portfolio's). Not
    the customers shared with the viewer: a report is of the branch, not of a
    person's reach."""
    rules = [Customer.branch_id == scope.branch_id]
    if scope.portfolio_of is not None:
        rules.append(Customer.relationship_manager_id == scope.portfolio_of)
    return rules
