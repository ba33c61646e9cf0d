"""Taking the accounts a movement touches, locked, always in the same order:
customer accounts first, by id, then the bank's internal account.

On PostgreSQL the rows are locked ``FOR UPDATE`` in that order, so two
transfers between the same accounts in opposite directions queue instead of
deadlocking, and neither can lose the other's update. On SQLite the write
transaction already holds the database (``BEGIN IMMEDIATE``); the same SELECTs
simply read.

Customer accounts outside the viewer's data scope are not returned: to a
movement they look exactly like accounts that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import utcnow
from core.db import insert_for
from core.sequences import next_number
from plugins.customer.models import Customer
from plugins.customer.scope import Reach, in_reach, reach_of
from plugins.finance.models import Account, InternalAccount
from plugins.finance.numbers import ACCOUNT_SEQUENCE, format_account_no

_LOCK = (
    select(Account)
    .where(
        Account.id.in_(bindparam("ids", expanding=True)),  # type: ignore[union-attr]
        Account.customer_id.is_not(None),  # type: ignore[union-attr]
    )
    .order_by(Account.id)
    .with_for_update(of=Account)  # type: ignore[arg-type]
    .execution_options(populate_existing=True)
)
_LOCK_IN_REACH = {
    reach: _LOCK.join(Customer, Customer.id == Account.customer_id).where(in_reach(reach))  # type: ignore[arg-type]
    for reach in Reach
}
"""Built once, for each shape of data scope: every money movement locks its
accounts (see ``core.db`` on hot statements)."""


async def lock_customer_accounts(
    session: AsyncSession, principal: Principal | None, ids: Iterable[int | None]
) -> dict[int, Account]:
    """The customer accounts ``ids`` that the principal may reach (any, for the
    batch: ``principal`` None), locked, by id."""
    wanted = {"ids": [i for i in ids if i is not None]}
    if principal is None:
        locked = await session.scalars(_LOCK, wanted)
    else:
        reach, values = reach_of(principal)
        locked = await session.scalars(_LOCK_IN_REACH[reach], wanted | values)
    return {account.id: account for account in locked}  # type: ignore[misc]


async def lock_internal_account(
    session: AsyncSession, code: InternalAccount, currency: str
) -> Account:
    """The bank's ``code`` account in ``currency``, locked; opened the first time."""
    statement = (
        select(Account)
        .where(Account.internal == code, Account.currency == currency)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    account = await session.scalar(statement)
    if account is None:
        number = format_account_no(await next_number(session, ACCOUNT_SEQUENCE))
        now = utcnow()
        await session.execute(
            insert_for(session, Account)
            .values(
                account_no=number,
                internal=code,
                currency=currency,
                balance=0,
                held=0,
                annual_rate=0,
                accrual=0,
                opened_on=now.date(),
                opened_at=now,
            )
            .on_conflict_do_nothing(index_elements=[Account.internal, Account.currency])
        )
        account = await session.scalar(statement)
    return account  # type: ignore[return-value]
