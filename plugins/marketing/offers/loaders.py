"""The per-request batch load of customers' offers."""

from __future__ import annotations

from collections.abc import Sequence

from core.context import Context
from plugins.customer import loaders as customer_loaders
from plugins.marketing.offers.recommend import MOST_OFFERS, Recommendation, recommend


async def recommendations_by_customer(
    context: Context, ids: Sequence[int]
) -> list[list[Recommendation]]:
    """Each customer's offers, as many as anyone may ask for (the field cuts
    them to its ``limit``); none for a customer out of the viewer's scope."""
    customers = await context.loader(customer_loaders.customers_by_id).load_many(ids)
    found = await recommend(
        context.session,
        context.runtime.plugins,
        [customer for customer in customers if customer is not None],
        context.runtime.settings.today(),
        MOST_OFFERS,
    )
    return [found.get(customer_id, []) for customer_id in ids]
