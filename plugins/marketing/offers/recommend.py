"""Ranking the offers: the products on sale that suit the customer today
(:func:`~plugins.marketing.suitability.unsuitability`, the very check a sale
passes), that they do not hold, and that at least one rule suggests; by score,
then product code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.plugins import PluginRegistry
from plugins.customer.models import Customer
from plugins.marketing.models import MarketingProduct
from plugins.marketing.offers.rules import RULES, Rule
from plugins.marketing.offers.signals import Signals, read_signals
from plugins.marketing.suitability import unsuitability

MOST_OFFERS = 20
"""The longest list a customer gets."""


@dataclass(frozen=True)
class Recommendation:
    product: MarketingProduct
    score: int
    reasons: tuple[str, ...]


async def products_on_sale(session: AsyncSession, today: date) -> list[MarketingProduct]:
    """The active products within their sales window today, by code."""
    product = MarketingProduct
    rows = await session.scalars(
        select(product)
        .where(
            product.active,
            or_(product.sales_from.is_(None), product.sales_from <= today),  # type: ignore[union-attr, operator]
            or_(product.sales_to.is_(None), product.sales_to >= today),  # type: ignore[union-attr, operator]
        )
        .order_by(product.code)
    )
    return list(rows)


async def recommend(
    session: AsyncSession,
    plugins: PluginRegistry,
    customers: Sequence[Customer],
    today: date,
    limit: int = MOST_OFFERS,
) -> dict[int, list[Recommendation]]:
    """Each customer's offers, keyed by id, at most ``limit`` each; a fixed
    number of statements however many customers."""
    on_sale = await products_on_sale(session, today)
    signals = await read_signals(session, plugins, customers, today)
    return {
        customer_id: _ranked(found, on_sale, today)[:limit]
        for customer_id, found in signals.items()
    }


def _ranked(signals: Signals, on_sale: list[MarketingProduct], today: date) -> list[Recommendation]:
    fired: list[tuple[Rule, str]] = [
        (rule, reason) for rule in RULES if (reason := rule.reason(signals)) is not None
    ]
    offers = []
    for product in on_sale:
        if product.code in signals.held_codes:
            continue
        if unsuitability(signals.customer, product, today) is not None:
            continue
        why = [(rule, reason) for rule, reason in fired if rule.suggests(product, signals)]
        if why:
            offers.append(
                Recommendation(
                    product=product,
                    score=sum(rule.weight for rule, _ in why),
                    reasons=tuple(reason for _, reason in why),
                )
            )
    return sorted(offers, key=lambda offer: (-offer.score, offer.product.code))
