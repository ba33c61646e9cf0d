"""The ledger figures reports tie to, as of the close of a business date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.finance.models import Account, InternalAccount, Posting


async def balances_as_of(
    session: AsyncSession, day: date, internal: InternalAccount | None = None
) -> dict[str, Decimal]:
    """Per currency, what the customers' accounts held at the close of ``day``
    by the bank's side of the ledger (minus its internal accounts), or, given
    ``internal``, what that internal account held."""
    total = func.sum(Posting.amount)
    statement = (
        select(Posting.currency, total)
        .join(Account, Account.id == Posting.account_id)
        .where(Posting.value_date <= day, Account.internal.is_not(None))  # type: ignore[union-attr]
        .group_by(Posting.currency)
        .order_by(Posting.currency)
    )
    if internal is not None:
        statement = statement.where(Account.internal == internal)
    sign = 1 if internal is not None else -1
    return {currency: sign * amount for currency, amount in await session.execute(statement)}
