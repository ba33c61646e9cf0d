"""Closing a deposit account: pay what it earned, move what is left, close it.

A closed account stays, with its history. Closing one already closed returns
it unchanged, so a retried close moves nothing twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.business_day import hold_business_date
from core.columns import utcnow
from core.errors import BusinessError
from core.settings import Settings
from plugins.finance.interest import fixed_deposit_interest, pay_interest
from plugins.finance.interest_math import accrued_to_pay
from plugins.finance.ledger import Line, post_entry
from plugins.finance.locks import lock_customer_accounts
from plugins.finance.models import Account, AccountKind, AccountStatus
from plugins.finance.movements import check_credit, not_found

CLOSING = "CLOSING"


async def close_account(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    account_id: int | None,
    settlement_account_id: int | None,
) -> Account:
    """Close an account the principal may reach; a fixed deposit pays out to its
    funding account unless another settlement account is named."""
    today = await hold_business_date(session, settings)
    named = settlement_account_id is not None
    if not named and account_id is not None:
        settlement_account_id = await session.scalar(
            select(Account.funding_account_id).where(Account.id == account_id)
        )
    locked = await lock_customer_accounts(session, principal, [account_id, settlement_account_id])
    account = locked.get(account_id)  # type: ignore[arg-type]
    if account is None:
        raise not_found("accountId")
    if named and settlement_account_id not in locked:
        raise not_found("settlementAccountId")
    if account.status is AccountStatus.CLOSED:
        return account
    if account.status is AccountStatus.FROZEN or account.held:
        raise BusinessError(
            "ACCOUNT_FROZEN",
            "The account has an active freeze; it must be released first.",
            ["input", "accountId"],
        )
    await pay_interest(
        session, account, await _interest_earned(session, account, today), today, principal.user_id
    )
    if account.balance:
        settlement = _settlement_account(locked.get(settlement_account_id), account)  # type: ignore[arg-type]
        await post_entry(
            session,
            kind=CLOSING,
            lines=[
                Line(account, -account.balance, CLOSING),
                Line(settlement, account.balance, CLOSING),
            ],
            value_date=today,
            by=principal.user_id,
        )
    account.status = AccountStatus.CLOSED
    account.closed_at = utcnow()
    session.add(account)
    await session.flush()
    return account


async def _interest_earned(session: AsyncSession, account: Account, today: date) -> Decimal:
    """Accrued demand interest; for a fixed deposit, what it has earned by today."""
    if account.kind is AccountKind.FIXED:
        return await fixed_deposit_interest(session, account, today)
    earned, account.accrual = accrued_to_pay(account.accrual), 0
    return earned


def _settlement_account(settlement: Account | None, account: Account) -> Account:
    field = ["input", "settlementAccountId"]
    if settlement is None:
        raise BusinessError(
            "SETTLEMENT_ACCOUNT_REQUIRED",
            "Name the customer's account that receives what is left.",
            field,
        )
    if settlement.id == account.id or settlement.customer_id != account.customer_id:
        raise BusinessError(
            "INVALID_SETTLEMENT_ACCOUNT",
            "What is left is paid to another account of the same customer.",
            field,
        )
    if settlement.currency != account.currency:
        raise BusinessError(
            "CURRENCY_MISMATCH", f"The settlement account is not in {account.currency}.", field
        )
    check_credit(settlement, "settlementAccountId")
    return settlement
