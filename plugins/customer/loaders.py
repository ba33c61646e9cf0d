"""Batch loads for customers, always within the viewer's scope."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from core.context import Context
from plugins.customer.models import Customer, CustomerTag
from plugins.customer.scope import in_scope


async def customers_by_id(context: Context, ids: Sequence[int | None]) -> list[Customer | None]:
    """The customers the viewer may reach; None for one that is missing or out of scope
    (the two look the same)."""
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(Customer).where(Customer.id.in_(wanted), in_scope(context.user))  # type: ignore[union-attr]
    )
    found = {customer.id: customer for customer in rows}
    return [found.get(i) for i in ids]  # type: ignore[arg-type]


async def tags_by_customer_id(context: Context, ids: Sequence[int]) -> list[list[str]]:
    rows = await context.session.execute(
        select(CustomerTag.customer_id, CustomerTag.tag)
        .where(CustomerTag.customer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(CustomerTag.tag)
    )
    found: dict[int, list[str]] = {i: [] for i in ids}
    for customer_id, tag in rows:
        found[customer_id].append(tag)
    return [found[i] for i in ids]
