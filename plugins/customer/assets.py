"""A customer's assets under management: what every enabled plugin says they hold.

Plugins answer ``crm_customer_assets`` with SQL, so that the sum over all of
them is one statement, and customers can be found by assets without loading
them: the database does the work.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import ColumnElement, Subquery, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.money import from_minor_units
from core.plugins import PluginRegistry


def assets_table(plugins: PluginRegistry) -> Subquery | None:
    """``(customer_id, amount)`` in fen, summed over every plugin; None when no
    enabled plugin holds assets (then everyone holds nothing)."""
    parts = [part for part in plugins.hook.crm_customer_assets() if part is not None]
    if not parts:
        return None
    rows = union_all(*parts).subquery("holdings")
    return (
        select(rows.c.customer_id, func.sum(rows.c.amount).label("amount"))
        .group_by(rows.c.customer_id)
        .subquery("assets")
    )


def assets_in_fen(plugins: PluginRegistry, customer_id: ColumnElement[int]) -> ColumnElement[int]:
    """A SQL expression for the assets of the customer ``customer_id`` names, in fen."""
    table = assets_table(plugins)
    if table is None:
        return literal(0)
    held = select(table.c.amount).where(table.c.customer_id == customer_id).scalar_subquery()
    return func.coalesce(held, 0)


async def assets_of(
    session: AsyncSession, plugins: PluginRegistry, customer_ids: Iterable[int]
) -> dict[int, Decimal]:
    """Each customer's assets in CNY, summed over every plugin in one statement;
    0.00 for a customer nobody holds anything for."""
    totals = {customer_id: Decimal("0.00") for customer_id in customer_ids}
    table = assets_table(plugins)
    if table is None or not totals:
        return totals
    rows = await session.execute(
        select(table.c.customer_id, table.c.amount).where(table.c.customer_id.in_(list(totals)))
    )
    for customer_id, fen in rows:
        totals[customer_id] = from_minor_units(fen)
    return totals
