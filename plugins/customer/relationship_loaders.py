"""Batch loads for links between customers and for households."""

from __future__ import annotations

from collections.abc import Sequence

from core.context import Context
from plugins.customer.relationships import Household, Link, households_of, links_of
from plugins.customer.scope import in_scope


async def relationships_by_customer_id(context: Context, ids: Sequence[int]) -> list[list[Link]]:
    """Each customer's links from their side, both directions in one statement. The
    other customers are not filtered here: load them through ``customers_by_id``."""
    found = await links_of(context.session, ids)
    return [found[i] for i in ids]


async def households_by_customer_id(context: Context, ids: Sequence[int]) -> list[Household]:
    """Each customer's household as the viewer may see it: relatives out of their
    scope are left out, and so are their assets."""
    found = await households_of(
        context.session, context.runtime.plugins, ids, within=in_scope(context.user)
    )
    return [found[i] for i in ids]
