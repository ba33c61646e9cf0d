"""Internal reconciliation: the books agree with themselves.

Four checks, each one set-based statement over the whole ledger: every
currency's postings sum to zero; every journal entry does; every account's
balance equals the sum of its postings; and each internal account that a
sub-ledger accounts for equals that sub-ledger's total (loans receivable is
minus the principal the loans still owe; suspense is empty at the close).
A break is recorded, never corrected here: fixing the books is a person's
decision, made with a reversing entry.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.finance.loans.models import Loan, LoanStatus
from plugins.finance.models import Account, InternalAccount, Posting
from plugins.finance.reconciliation.exceptions import Found, record, subject
from plugins.finance.reconciliation.models import ExceptionKind


def _expected_internal_balance() -> ColumnElement[int]:
    """What each checked internal account should hold, for the account row at hand."""
    owed = (
        select(func.coalesce(func.sum(Loan.outstanding_principal), 0))
        .where(Loan.currency == Account.currency, Loan.status == LoanStatus.ACTIVE)
        .scalar_subquery()
    )
    return case(
        (Account.internal == InternalAccount.LOANS_RECEIVABLE, -owed),
        else_=literal(0),
    )


CHECKED_INTERNAL_ACCOUNTS = (InternalAccount.LOANS_RECEIVABLE, InternalAccount.SUSPENSE)


async def check_books(session: AsyncSession, day: date) -> list[Found]:
    total = func.sum(Posting.amount)
    ledger = (
        select(
            subject("currency:", Posting.currency),
            Posting.currency,
            total.label("amount"),
        )
        .group_by(Posting.currency)
        .having(total != 0)
    )
    entries = (
        select(
            subject("entry:", Posting.entry_id),
            Posting.entry_id,
            func.max(Posting.currency).label("currency"),
            total.label("amount"),
        )
        .group_by(Posting.entry_id)
        .having(total != 0)
    )
    posted = (
        select(Posting.account_id, total.label("amount")).group_by(Posting.account_id).subquery()
    )
    postings_sum = func.coalesce(posted.c.amount, 0)
    balances = (
        select(
            subject("account:", Account.id),
            Account.id.label("account_id"),  # type: ignore[union-attr]
            Account.customer_id,
            Account.currency,
            Account.balance.label("amount"),  # type: ignore[attr-defined]
            postings_sum.label("other_amount"),
        )
        .outerjoin(posted, posted.c.account_id == Account.id)
        .where(Account.balance != postings_sum)
    )
    expected = _expected_internal_balance()
    internal = select(
        subject("account:", Account.id),
        Account.id.label("account_id"),  # type: ignore[union-attr]
        Account.currency,
        Account.balance.label("amount"),  # type: ignore[attr-defined]
        expected.label("other_amount"),
    ).where(
        Account.internal.in_(CHECKED_INTERNAL_ACCOUNTS),  # type: ignore[union-attr]
        Account.balance != expected,
    )
    return [
        await record(session, ExceptionKind.LEDGER_OUT_OF_BALANCE, day, ledger),
        await record(session, ExceptionKind.ENTRY_OUT_OF_BALANCE, day, entries),
        await record(session, ExceptionKind.BALANCE_MISMATCH, day, balances),
        await record(session, ExceptionKind.INTERNAL_ACCOUNT_MISMATCH, day, internal),
    ]
