"""What the finance plugin tells the customer plugin: assets held and merges."""

from __future__ import annotations

from sqlalchemy import BigInteger, Select, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.finance.models import Account, AccountStatus

ASSETS_CURRENCY = "CNY"


def deposits_held() -> Select[tuple[int, int]]:
    """Each customer's open CNY deposits, in fen (other currencies are not
    converted: the bank keeps no exchange rates here)."""
    return select(
        Account.customer_id.label("customer_id"),  # type: ignore[union-attr]
        type_coerce(Account.balance, BigInteger).label("amount"),
    ).where(
        Account.customer_id.is_not(None),  # type: ignore[union-attr]
        Account.currency == ASSETS_CURRENCY,
        Account.status != AccountStatus.CLOSED,
    )


async def move_accounts(session: AsyncSession, survivor_id: int, duplicate_id: int) -> None:
    """A merged customer's accounts become the survivor's, numbers and history unchanged."""
    await session.execute(
        update(Account)
        .where(Account.customer_id == duplicate_id)
        .values(customer_id=survivor_id)
        .execution_options(synchronize_session=False)
    )
