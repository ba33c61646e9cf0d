"""Freezes (冻结): FULL (no debit, no credit), DEBIT (只收不付) and PARTIAL (an
amount held). Several may be active at once; each is released on its own.

The account row carries what the active freezes add up to, so every movement
checks it on the row it has locked: ``status`` FROZEN while a FULL or DEBIT
freeze is active, ``credits_blocked`` while a FULL one is, and ``held`` the
sum of the PARTIAL amounts.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import utcnow
from core.errors import BusinessError
from core.money import checked_amount
from core.validation import clean_text
from plugins.finance.locks import lock_customer_accounts
from plugins.finance.models import REASON_MAX, Account, AccountStatus, Freeze, FreezeMode
from plugins.finance.movements import not_found


def _reason(text: str) -> str:
    return clean_text(text, field=["input", "reason"], max_length=REASON_MAX)


async def freeze_account(
    session: AsyncSession,
    principal: Principal,
    account_id: int | None,
    mode: FreezeMode,
    reason: str,
    amount: Decimal | None,
) -> Freeze:
    reason = _reason(reason)
    if mode is FreezeMode.PARTIAL:
        if amount is None:
            raise BusinessError(
                "REQUIRED", "A partial freeze holds an amount.", ["input", "amount"]
            )
        amount = checked_amount(amount, ["input", "amount"])
    elif amount is not None:
        raise BusinessError(
            "INVALID_AMOUNT", "Only a partial freeze holds an amount.", ["input", "amount"]
        )
    account = (await lock_customer_accounts(session, principal, [account_id])).get(account_id)  # type: ignore[arg-type]
    if account is None:
        raise not_found("accountId")
    if account.status is AccountStatus.CLOSED:
        raise BusinessError("ACCOUNT_CLOSED", "The account is closed.", ["input", "accountId"])
    if amount is not None and amount > account.balance - account.held:
        raise BusinessError(
            "INSUFFICIENT_FUNDS",
            "The balance not already held is less than the amount to hold.",
            ["input", "amount"],
        )
    freeze = Freeze(
        account_id=account.id,  # type: ignore[arg-type]
        mode=mode,
        amount=amount,
        reason=reason,
        created_by=principal.user_id,
    )
    session.add(freeze)
    await session.flush()
    await _apply_active_freezes(session, account)
    return freeze


async def unfreeze(
    session: AsyncSession, principal: Principal, freeze_id: int | None, reason: str
) -> Freeze:
    reason = _reason(reason)
    account_id = await session.scalar(select(Freeze.account_id).where(Freeze.id == freeze_id))
    account = (await lock_customer_accounts(session, principal, [account_id])).get(account_id)  # type: ignore[arg-type]
    freeze = await session.get(Freeze, freeze_id) if account is not None else None  # type: ignore[arg-type]
    if freeze is None:
        raise BusinessError("FREEZE_NOT_FOUND", "There is no such freeze.", ["input", "freezeId"])
    if not freeze.active:
        raise BusinessError(
            "FREEZE_RELEASED", "The freeze was already released.", ["input", "freezeId"]
        )
    freeze.released_at = utcnow()
    freeze.released_by = principal.user_id
    freeze.release_reason = reason
    session.add(freeze)
    await session.flush()
    await _apply_active_freezes(session, account)  # type: ignore[arg-type]
    return freeze


async def _apply_active_freezes(session: AsyncSession, account: Account) -> None:
    """Set the account's status, credit block and held amount from its active freezes."""
    active = (
        await session.execute(
            select(
                func.count().filter(Freeze.mode.in_([FreezeMode.FULL, FreezeMode.DEBIT])),  # type: ignore[attr-defined]
                func.count().filter(Freeze.mode == FreezeMode.FULL),
                func.coalesce(func.sum(Freeze.amount), 0),
            ).where(Freeze.account_id == account.id, Freeze.released_at.is_(None))  # type: ignore[union-attr]
        )
    ).one()
    blocking, full, held = active
    account.status = AccountStatus.FROZEN if blocking else AccountStatus.ACTIVE
    account.credits_blocked = bool(full)
    account.held = held
    session.add(account)
    await session.flush()
