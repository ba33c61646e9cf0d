"""Deposit interest (PBoC rules), paid by the end-of-day batch.

- **Accrual**, each closed business day: every open demand deposit adds its
  closing balance × its annual rate to ``Account.accrual``, exactly (one UPDATE
  for all accounts; see ``plugins.finance.interest_math``).
- **Settlement**, on the 20th of March, June, September and December (结息日),
  after that day's accrual: the accrual is paid into each account, rounded
  half-up to the fen, in one journal entry against the bank's interest-expense
  account (one INSERT ... SELECT of postings, one UPDATE of balances).
- **Maturity** of fixed deposits, at the close of the maturity date: interest
  for the full term at the rate opened at, then principal and interest to the
  funding account, and the deposit closes. One held back (frozen, or its
  funding account closed) matures at the first close after it is free, with
  the demand rate for the days past maturity.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    and_,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import utcnow
from plugins.finance.interest_math import ACCRUAL_DIVISOR, demand_interest, fixed_interest
from plugins.finance.ledger import Line, post_entry
from plugins.finance.locks import lock_customer_accounts, lock_internal_account
from plugins.finance.models import (
    Account,
    AccountKind,
    AccountStatus,
    InternalAccount,
    JournalEntry,
    Posting,
    Product,
    ProductRate,
)

INTEREST = "INTEREST"
MATURITY = "MATURITY"
MATURITY_CHUNK = 500

# The raw integers behind the money columns, for exact arithmetic in SQL.
BALANCE_FEN = type_coerce(Account.balance, BigInteger)
RATE_UNITS = type_coerce(Account.annual_rate, BigInteger)
INTEREST_FEN = (2 * Account.accrual + ACCRUAL_DIVISOR) // (2 * ACCRUAL_DIVISOR)  # type: ignore[operator]
"""Accrued interest rounded half-up to the fen (integer division: both sides are integers)."""


def _open_demand_deposits() -> ColumnElement[bool]:
    return and_(Account.kind == AccountKind.DEMAND, Account.status != AccountStatus.CLOSED)


async def pay_interest(
    session: AsyncSession, account: Account, amount: Decimal, value_date: date, by: int | None
) -> None:
    """Pay ``amount`` of interest into the (locked) ``account``; nothing if zero."""
    if amount <= 0:
        return
    expense = await lock_internal_account(
        session, InternalAccount.INTEREST_EXPENSE, account.currency
    )
    await post_entry(
        session,
        kind=INTEREST,
        lines=[Line(account, amount, INTEREST), Line(expense, -amount, INTEREST)],
        value_date=value_date,
        by=by,
    )


async def current_demand_rate(session: AsyncSession, currency: str) -> Decimal:
    """The standard demand deposit rate listed today in ``currency`` (0 if none)."""
    rate = await session.scalar(
        select(ProductRate.annual_rate)
        .join(Product, Product.id == ProductRate.product_id)
        .where(
            Product.kind == AccountKind.DEMAND,
            Product.currency == currency,
            Product.standard.is_(True),  # type: ignore[attr-defined]
        )
    )
    return rate if rate is not None else Decimal("0")


async def fixed_deposit_interest(session: AsyncSession, deposit: Account, on: date) -> Decimal:
    """What a fixed deposit has earned when paid out ``on``: before maturity, the
    demand rate of the day for the days held; from maturity, its own rate for
    the term, plus the demand rate for any days it stayed past maturity."""
    maturity = deposit.maturity_date
    if maturity is None or on < maturity:
        rate = await current_demand_rate(session, deposit.currency)
        return demand_interest(deposit.balance, rate, (on - deposit.opened_on).days)
    earned = fixed_interest(deposit.balance, deposit.annual_rate, deposit.term_months or 0)
    if on > maturity:
        rate = await current_demand_rate(session, deposit.currency)
        earned += demand_interest(deposit.balance, rate, (on - maturity).days)
    return earned


async def accrue_demand_interest(session: AsyncSession) -> int:
    """Add each open demand deposit's closing balance × rate to its accrual;
    returns how many accounts accrued."""
    accrued = await session.execute(
        update(Account)
        .where(_open_demand_deposits(), BALANCE_FEN > 0, RATE_UNITS > 0)
        .values(accrual=Account.accrual + BALANCE_FEN * RATE_UNITS)
        .execution_options(synchronize_session=False)
    )
    return accrued.rowcount  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Settlement:
    accounts: int
    total: dict[str, Decimal]


async def settle_demand_interest(session: AsyncSession, day: date) -> Settlement:
    """Pay every open demand deposit its accrued interest, per currency one entry."""
    currencies = list(
        await session.scalars(
            select(Account.currency).where(_open_demand_deposits(), Account.accrual > 0).distinct()
        )
    )
    paid, totals = 0, {}
    for currency in sorted(currencies):
        due = and_(_open_demand_deposits(), Account.currency == currency, Account.accrual > 0)
        entry = JournalEntry(kind=INTEREST, value_date=day, memo=f"Interest settled on {day}")
        session.add(entry)
        await session.flush()
        await session.execute(
            insert(Posting).from_select(
                [
                    "entry_id",
                    "account_id",
                    "kind",
                    "currency",
                    "amount",
                    "balance_after",
                    "value_date",
                    "posted_at",
                ],
                select(
                    literal(entry.id),
                    Account.id,
                    literal(INTEREST),
                    Account.currency,
                    INTEREST_FEN,
                    BALANCE_FEN + INTEREST_FEN,
                    literal(day),
                    literal(utcnow(), Posting.posted_at.type),  # type: ignore[attr-defined]
                ).where(due, INTEREST_FEN > 0),
            )
        )
        count, total = (
            await session.execute(
                select(func.count(), func.coalesce(func.sum(Posting.amount), 0)).where(
                    Posting.entry_id == entry.id
                )
            )
        ).one()
        await session.execute(
            update(Account)
            .where(due)
            .values(balance=BALANCE_FEN + INTEREST_FEN, accrual=0)  # type: ignore[attr-defined]
            .execution_options(synchronize_session=False)
        )
        if total:
            expense = await lock_internal_account(
                session, InternalAccount.INTEREST_EXPENSE, currency
            )
            expense.balance -= total
            session.add(expense)
            session.add(
                Posting(
                    entry_id=entry.id,  # type: ignore[arg-type]
                    account_id=expense.id,  # type: ignore[arg-type]
                    kind=INTEREST,
                    currency=currency,
                    amount=-total,
                    balance_after=expense.balance,
                    value_date=day,
                )
            )
            await session.flush()
        else:
            await session.delete(entry)
        paid += count
        totals[currency] = total
    return Settlement(paid, totals)


async def mature_fixed_deposits(session: AsyncSession, day: date) -> tuple[int, int]:
    """Pay out every fixed deposit maturing by ``day`` whose funding account can
    take it; returns (paid out, held back: frozen or funding account closed)."""
    paid = held_back = 0
    after_id = 0
    while True:
        chunk = list(
            await session.execute(
                select(Account.id, Account.funding_account_id)
                .where(
                    Account.kind == AccountKind.FIXED,
                    Account.status != AccountStatus.CLOSED,
                    Account.maturity_date <= day,  # type: ignore[operator]
                    Account.id > after_id,  # type: ignore[operator]
                )
                .order_by(Account.id)
                .limit(MATURITY_CHUNK)
            )
        )
        if not chunk:
            return paid, held_back
        after_id = chunk[-1].id
        locked = await lock_customer_accounts(
            session, None, [i for row in chunk for i in (row.id, row.funding_account_id)]
        )
        for row in chunk:
            if await _mature(session, locked[row.id], locked.get(row.funding_account_id), day):
                paid += 1
            else:
                held_back += 1


async def _mature(
    session: AsyncSession, deposit: Account, funding: Account | None, day: date
) -> bool:
    if (
        deposit.status is not AccountStatus.ACTIVE
        or deposit.held
        or funding is None
        or funding.status is AccountStatus.CLOSED
        or funding.credits_blocked
    ):
        return False
    await pay_interest(
        session, deposit, await fixed_deposit_interest(session, deposit, day), day, None
    )
    await post_entry(
        session,
        kind=MATURITY,
        lines=[Line(deposit, -deposit.balance, MATURITY), Line(funding, deposit.balance, MATURITY)],
        value_date=day,
        memo="Fixed deposit matured",
    )
    deposit.status = AccountStatus.CLOSED
    deposit.closed_at = utcnow()
    session.add(deposit)
    return True
