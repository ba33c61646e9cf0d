"""Account statements (对账单): an account's postings over a period of value
dates, with the balances it opened and closed the period at."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
        """The statement as CSV (UTF-8 text, a header row, amounts as plain decimals)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["account_no", self.account.account_no, "currency", self.account.currency])
        writer.writerow(["period", self.period_from.isoformat(), self.period_to.isoformat()])
        writer.writerow(["opening_balance", self.opening_balance])
        writer.writerow(["value_date", "posted_at", "kind", "debit", "credit", "balance", "memo"])
        for line in self.lines:
            amount = line.posting.amount
            writer.writerow(
                [
                    line.posting.value_date.isoformat(),
                    line.posting.posted_at.isoformat(),
                    line.posting.kind,
                    -amount if amount < 0 else "",
                    amount if amount > 0 else "",
                    line.posting.balance_after,
                    _safe(line.memo or ""),
                ]
            )
        writer.writerow(["closing_balance", self.closing_balance])
        return out.getvalue()


def _safe(text: str) -> str:
    """Defuse a memo that a spreadsheet would run as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
