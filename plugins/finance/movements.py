"""Deposits, withdrawals and transfers: the money mutations, under one discipline.

Each one, in its write transaction:

1. holds the business date (its postings' value date; the batch waits for it);
2. claims its idempotency key, or returns the entry an earlier identical
   request posted (even if the accounts have changed since);
3. locks its accounts (``plugins.finance.locks``) and checks the rules on the
   locked rows, so no concurrent movement can slip in between check and post;
4. posts one balanced journal entry and records it against the key.

A refusal raises ``BusinessError``: the transaction rolls back, nothing is
posted and the key is free again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.business_day import hold_business_date
from core.errors import BusinessError
from core.money import checked_amount
from core.settings import Settings
from core.validation import clean_text
from plugins.finance import idempotency
from plugins.finance.ledger import Line, post_entry
from plugins.finance.locks import lock_customer_accounts, lock_internal_account
from plugins.finance.models import (
    MEMO_MAX,
    Account,
    AccountKind,
    AccountStatus,
    InternalAccount,
    JournalEntry,
)

DEPOSIT = "DEPOSIT"
WITHDRAWAL = "WITHDRAWAL"
TRANSFER = "TRANSFER"
TRANSFER_IN = "TRANSFER_IN"
TRANSFER_OUT = "TRANSFER_OUT"


@dataclass(frozen=True)
class Request:
    """Who asks, and the key and memo every money mutation carries."""

    principal: Principal
    idempotency_key: str
    memo: str | None = None


def _memo(text: str | None) -> str | None:
    if text is None:
        return None
    return clean_text(text, field=["input", "memo"], max_length=MEMO_MAX, required=False) or None


def not_found(field: str) -> BusinessError:
    return BusinessError("ACCOUNT_NOT_FOUND", "There is no such account.", ["input", field])


def check_can_move(account: Account, field: str) -> None:
    """Refuse closed accounts and fixed deposits (money enters and leaves them
    only when they are opened, mature or are closed)."""
    if account.status is AccountStatus.CLOSED:
        raise BusinessError("ACCOUNT_CLOSED", "The account is closed.", ["input", field])
    if account.kind is AccountKind.FIXED:
        raise BusinessError(
            "FIXED_TERM_ACCOUNT",
            "A fixed deposit takes no deposits, withdrawals or transfers; close it instead.",
            ["input", field],
        )


def check_debit(
    account: Account, amount: Decimal, field: str, amount_field: str = "amount"
) -> None:
    check_can_move(account, field)
    if account.is_debit_blocked:
        raise BusinessError("ACCOUNT_FROZEN", "The account is frozen.", ["input", field])
    if amount > account.available_balance:
        raise BusinessError(
            "INSUFFICIENT_FUNDS",
            "The available balance is not enough for this amount.",
            ["input", amount_field],
        )


def check_credit(account: Account, field: str) -> None:
    check_can_move(account, field)
    if account.credits_blocked:
        raise BusinessError(
            "ACCOUNT_FROZEN", "The account is frozen and takes no credits.", ["input", field]
        )


CashMovement = Callable[
    [AsyncSession, Settings, "Request", int | None, Decimal], Awaitable[JournalEntry]
]
"""``deposit`` or ``withdraw``: returns the journal entry."""


async def deposit(
    session: AsyncSession,
    settings: Settings,
    asked: Request,
    account_id: int | None,
    amount: Decimal,
) -> JournalEntry:
    """Cash paid in at the counter; returns the journal entry."""
    return await _cash(session, settings, asked, DEPOSIT, account_id, amount)


async def withdraw(
    session: AsyncSession,
    settings: Settings,
    asked: Request,
    account_id: int | None,
    amount: Decimal,
) -> JournalEntry:
    """Cash paid out at the counter; returns the journal entry."""
    return await _cash(session, settings, asked, WITHDRAWAL, account_id, amount)


async def _cash(
    session: AsyncSession,
    settings: Settings,
    asked: Request,
    kind: str,
    account_id: int | None,
    amount: Decimal,
) -> JournalEntry:
    amount = checked_amount(amount, ["input", "amount"])
    memo = _memo(asked.memo)
    value_date = await hold_business_date(session, settings)
    claimed = await idempotency.claim(
        session,
        asked.idempotency_key,
        idempotency.fingerprint(
            kind, asked.principal.user_id, account=account_id, amount=amount, memo=memo
        ),
    )
    if claimed.replayed:
        return await session.get_one(JournalEntry, claimed.entry_id)
    account = (await lock_customer_accounts(session, asked.principal, [account_id])).get(
        account_id  # type: ignore[arg-type]
    )
    if account is None:
        raise not_found("accountId")
    if kind == DEPOSIT:
        check_credit(account, "accountId")
    else:
        check_debit(account, amount, "accountId")
    cash = await lock_internal_account(session, InternalAccount.CASH, account.currency)
    signed = amount if kind == DEPOSIT else -amount
    entry = await post_entry(
        session,
        kind=kind,
        lines=[Line(account, signed, kind), Line(cash, -signed, kind)],
        value_date=value_date,
        memo=memo,
        by=asked.principal.user_id,
    )
    await idempotency.record(session, claimed, entry_id=entry.id)
    return entry


async def transfer(
    session: AsyncSession,
    settings: Settings,
    asked: Request,
    from_id: int | None,
    to_id: int | None,
    amount: Decimal,
) -> JournalEntry:
    """Move money between two accounts of the same currency that the viewer may
    both reach; returns the journal entry."""
    amount = checked_amount(amount, ["input", "amount"])
    memo = _memo(asked.memo)
    value_date = await hold_business_date(session, settings)
    claimed = await idempotency.claim(
        session,
        asked.idempotency_key,
        idempotency.fingerprint(
            TRANSFER, asked.principal.user_id, source=from_id, to=to_id, amount=amount, memo=memo
        ),
    )
    if claimed.replayed:
        return await session.get_one(JournalEntry, claimed.entry_id)
    if from_id is not None and from_id == to_id:
        raise BusinessError(
            "SAME_ACCOUNT", "An account cannot transfer to itself.", ["input", "toAccountId"]
        )
    locked = await lock_customer_accounts(session, asked.principal, [from_id, to_id])
    source = locked.get(from_id)  # type: ignore[arg-type]
    target = locked.get(to_id)  # type: ignore[arg-type]
    if source is None:
        raise not_found("fromAccountId")
    if target is None:
        raise not_found("toAccountId")
    check_debit(source, amount, "fromAccountId")
    check_credit(target, "toAccountId")
    if source.currency != target.currency:
        raise BusinessError(
            "CURRENCY_MISMATCH",
            f"The accounts hold different currencies ({source.currency}, {target.currency}).",
            ["input", "toAccountId"],
        )
    entry = await post_entry(
        session,
        kind=TRANSFER,
        lines=[Line(source, -amount, TRANSFER_OUT), Line(target, amount, TRANSFER_IN)],
        value_date=value_date,
        memo=memo,
        by=asked.principal.user_id,
    )
    await idempotency.record(session, claimed, entry_id=entry.id)
    return entry
