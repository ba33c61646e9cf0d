"""The double-entry ledger: every movement of money is one balanced journal entry.

:func:`post_entry` is the only way money moves between accounts one entry at a
time; the end-of-day batch posts whole sets at once (``plugins.finance.interest``)
under the same rules. :func:`check_ledger` proves the rules held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.finance.models import Account, JournalEntry, Posting


class UnbalancedEntry(ValueError):
    """A programming error: postings that do not sum to zero must never be written."""


@dataclass(frozen=True)
class Line:
    """One side of an entry: ``amount`` positive credits ``account``, negative debits it.
    The account must be locked by the caller (``plugins.finance.locks``)."""

    account: Account
    amount: Decimal
    kind: str


async def post_entry(
    session: AsyncSession,
    *,
    kind: str,
    lines: list[Line],
    value_date: date,
    memo: str | None = None,
    by: int | None = None,
    reverses_id: int | None = None,
) -> JournalEntry:
    """Write one balanced entry and move the accounts' running balances."""
    if sum(line.amount for line in lines) != 0 or any(line.amount == 0 for line in lines):
        raise UnbalancedEntry(f"{kind}: {[(line.kind, line.amount) for line in lines]}")
    entry = JournalEntry(
        kind=kind, value_date=value_date, memo=memo, created_by=by, reverses_id=reverses_id
    )
    session.add(entry)
    await session.flush()
    for line in lines:
        line.account.balance += line.amount
        session.add(line.account)
        session.add(
            Posting(
                entry_id=entry.id,  # type: ignore[arg-type]
                account_id=line.account.id,  # type: ignore[arg-type]
                kind=line.kind,
                currency=line.account.currency,
                amount=line.amount,
                balance_after=line.account.balance,
                value_date=value_date,
            )
        )
    await session.flush()
    return entry


@dataclass(frozen=True)
class LedgerCheck:
    """What :func:`check_ledger` found; ``ok`` when nothing is wrong."""

    total: Decimal
    unbalanced_entries: list[int]
    drifted_accounts: list[int]

    @property
    def ok(self) -> bool:
        return self.total == 0 and not self.unbalanced_entries and not self.drifted_accounts


async def check_ledger(session: AsyncSession) -> LedgerCheck:
    """Recompute the ledger: all postings sum to zero, each entry sums to zero,
    and each account's running balance equals the sum of its postings."""
    total = await session.scalar(select(func.coalesce(func.sum(Posting.amount), 0)))
    unbalanced = await session.scalars(
        select(Posting.entry_id)
        .group_by(Posting.entry_id)
        .having(func.sum(Posting.amount) != 0)
        .order_by(Posting.entry_id)
    )
    posted = (
        select(Posting.account_id, func.sum(Posting.amount).label("amount"))
        .group_by(Posting.account_id)
        .subquery()
    )
    drifted = await session.scalars(
        select(Account.id)
        .outerjoin(posted, posted.c.account_id == Account.id)
        .where(Account.balance != func.coalesce(posted.c.amount, 0))
        .order_by(Account.id)
    )
    return LedgerCheck(
        total=total,  # type: ignore[arg-type]
        unbalanced_entries=list(unbalanced),
        drifted_accounts=list(drifted),
    )
