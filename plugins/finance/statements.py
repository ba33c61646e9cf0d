"""Account statements (对账单): an account's postings over a period of value
dates, with the balances it opened and closed the period at."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.csv_text import csv_text
from core.errors import RequestError
from plugins.finance.models import Account, JournalEntry, Posting

LONGEST_PERIOD_DAYS = 366


@dataclass(frozen=True)
class StatementLine:
    posting: Posting
    memo: str | None


@dataclass(frozen=True)
class Statement:
    account: Account
    period_from: date
    period_to: date
    opening_balance: Decimal
    closing_balance: Decimal
    lines: list[StatementLine]

    @property
    def total_credits(self) -> Decimal:
        return sum(
            (line.posting.amount for line in self.lines if line.posting.amount > 0), Decimal("0.00")
        )

    @property
    def total_debits(self) -> Decimal:
        return -sum(
            (line.posting.amount for line in self.lines if line.posting.amount < 0), Decimal("0.00")
        )

    def as_csv(self) -> str:
        """The statement as CSV (``plugins.finance.csv_text``)."""
        account = self.account
        return csv_text(
            [
                ["account_no", account.account_no, "currency", account.currency],
                ["period", self.period_from.isoformat(), self.period_to.isoformat()],
                ["opening_balance", self.opening_balance],
                ["value_date", "posted_at", "kind", "debit", "credit", "balance", "memo"],
                *(
                    [
                        line.posting.value_date.isoformat(),
                        line.posting.posted_at.isoformat(),
                        line.posting.kind,
                        -line.posting.amount if line.posting.amount < 0 else "",
                        line.posting.amount if line.posting.amount > 0 else "",
                        line.posting.balance_after,
                        line.memo or "",
                    ]
                    for line in self.lines
                ),
                ["closing_balance", self.closing_balance],
            ]
        )


async def statement_of(
    session: AsyncSession, account: Account, period_from: date, period_to: date
) -> Statement:
    if period_to < period_from:
        raise RequestError("The period ends before it starts.", "INVALID_PERIOD")
    if (period_to - period_from).days >= LONGEST_PERIOD_DAYS:
        raise RequestError(
            f"A statement covers at most {LONGEST_PERIOD_DAYS} days.", "INVALID_PERIOD"
        )
    before = await session.scalar(
        select(Posting.balance_after)
        .where(Posting.account_id == account.id, Posting.value_date < period_from)
        .order_by(Posting.id.desc())  # type: ignore[union-attr]
        .limit(1)
    )
    rows = await session.execute(
        select(Posting, JournalEntry.memo)
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(
            Posting.account_id == account.id,
            Posting.value_date >= period_from,
            Posting.value_date <= period_to,
        )
        .order_by(Posting.id)
    )
    lines = [StatementLine(posting, memo) for posting, memo in rows]
    opening = before if before is not None else Decimal("0.00")
    return Statement(
        account=account,
        period_from=period_from,
        period_to=period_to,
        opening_balance=opening,
        closing_balance=lines[-1].posting.balance_after if lines else opening,
        lines=lines,
    )
