"""Batch loads for customers, always within the viewer's scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core.context import Context
from core.loaders import all_per_key, one_per_key
from plugins.customer.models import Customer, CustomerTag
from plugins.customer.scope import in_scope


async def customers_by_id(context: Context, ids: Sequence[int | None]) -> list[Customer | None]:
    """The customers the viewer may reach; None for one that is missing or out of scope
    (the two look the same)."""
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(Customer).where(Customer.id.in_(wanted), in_scope(context.user))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda customer: customer.id)  # type: ignore[arg-type, return-value]


async def tags_by_customer_id(context: Context, ids: Sequence[int]) -> list[list[str]]:
    rows = await context.session.execute(
        select(CustomerTag.customer_id, CustomerTag.tag)
        .where(CustomerTag.customer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(CustomerTag.tag)
    )
    tagged = all_per_key(ids, rows, lambda row: row.customer_id)
    return [[row.tag for row in rows_of] for rows_of in tagged]
