"""Next-best offers in GraphQL: ``Customer.recommendations``."""

from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.errors import RequestError
from core.graphql import extends
from plugins.marketing.api.products import Product
from plugins.marketing.offers import loaders
from plugins.marketing.offers.recommend import MOST_OFFERS, Recommendation
from plugins.marketing.permissions import MARKETING_READ

DEFAULT_OFFERS = 5


@strawberry.type(description="A product to offer a customer, and why.")
class ProductRecommendation:
    product: Product
    score: int = strawberry.field(description="The sum of the weights of the rules suggesting it.")
    reasons: list[str] = strawberry.field(
        description="Why, in words, heaviest first, e.g. 定期存款 ¥200,000.00 将于 2026-12-10 到期."
    )


@extends("Customer")
@strawberry.type
class CustomerOffers:
    @strawberry.field(
        description="From the marketing plugin: suitable products on sale the customer does not "
        "hold, best first (by score, then product code)."
    )
    async def recommendations(
        self, root: strawberry.Parent[object], info: Info, limit: int = DEFAULT_OFFERS
    ) -> list[ProductRecommendation]:
        if not 1 <= limit <= MOST_OFFERS:
            raise RequestError(f"limit must be between 1 and {MOST_OFFERS}.", "INVALID_LIMIT")
        if not info.context.user.can(MARKETING_READ):
            return []
        offers: list[Recommendation] = await info.context.loader(
            loaders.recommendations_by_customer
        ).load(root.id)  # type: ignore[attr-defined]
        return [
            ProductRecommendation(
                product=offer.product,  # type: ignore[arg-type]
                score=offer.score,
                reasons=list(offer.reasons),
            )
            for offer in offers[:limit]
        ]
