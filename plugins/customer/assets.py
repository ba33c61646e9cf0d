"""A customer's assets under management: what every enabled plugin says they hold."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.plugins import PluginRegistry


async def assets_of(
    session: AsyncSession, plugins: PluginRegistry, customer_ids: Iterable[int]
) -> dict[int, Decimal]:
    """Each customer's assets in CNY, summed over the plugins answering
    ``crm_customer_assets``; 0 for a customer nobody answers for (with no such
    plugin enabled, everyone holds 0). Each plugin is asked once for all the ids."""
    totals = {customer_id: Decimal("0.00") for customer_id in customer_ids}
    if not totals:
        return totals
    for answer in plugins.hook.crm_customer_assets(session=session, customer_ids=list(totals)):
        for customer_id, amount in (await answer).items():
            if customer_id in totals:
                totals[customer_id] += amount
    return totals
