"""The product catalogue and suitability in GraphQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.graphql import UserError, mutation, node_id, query
from core.money import Money
from plugins.customer import loaders as customer_loaders
from plugins.customer.models import CustomerKind, CustomerTier
from plugins.marketing import models
from plugins.marketing.models import ProductCategory, RiskLevel
from plugins.marketing.permissions import MARKETING_READ, PRODUCT_MANAGE
from plugins.marketing.products import ProductTerms, product_by_code, save_product
from plugins.marketing.suitability import unsuitability

strawberry.enum(ProductCategory)
strawberry.enum(RiskLevel, description="A product's risk rating, R1 lowest to R5 highest.")


@strawberry.type(name="MarketingProduct", description="A product of the catalogue.")
class Product:
    code: str
    name: str
    category: ProductCategory
    risk_level: RiskLevel | None
    sales_from: date | None
    sales_to: date | None
    active: bool

    @strawberry.field(description="The least amount sold, in CNY.")
    def minimum_amount(self, root: strawberry.Parent[models.MarketingProduct]) -> Money:
        return Money(amount=root.minimum_amount, currency="CNY")

    @strawberry.field(description="Empty: every tier.")
    def eligible_tiers(
        self, root: strawberry.Parent[models.MarketingProduct]
    ) -> list[CustomerTier]:
        return [CustomerTier(tier) for tier in root.eligible_tiers]

    @strawberry.field(description="Empty: every kind.")
    def eligible_kinds(
        self, root: strawberry.Parent[models.MarketingProduct]
    ) -> list[CustomerKind]:
        return [CustomerKind(kind) for kind in root.eligible_kinds]


@strawberry.type(description="Whether a product may be offered to a customer today, and why not.")
class Suitability:
    suitable: bool
    code: str | None = strawberry.field(description="e.g. UNSUITABLE_PRODUCT, when not.")
    reason: str | None


@strawberry.type
class ProductQuery:
    @query(permission=MARKETING_READ)
    async def marketing_products(
        self, info: Info, category: ProductCategory | None = None
    ) -> list[Product]:
        """The catalogue, by code."""
        statement = select(models.MarketingProduct).order_by(models.MarketingProduct.code)
        if category is not None:
            statement = statement.where(models.MarketingProduct.category == category)
        return list(await info.context.session.scalars(statement))  # type: ignore[arg-type]

    @query(permission=MARKETING_READ)
    async def product_suitability(
        self, info: Info, customer_id: relay.GlobalID, product_code: str
    ) -> Suitability | None:
        """Whether the product suits the customer today; null if either is not found."""
        context: Context = info.context
        product = await product_by_code(context.session, product_code)
        customer = await context.loader(customer_loaders.customers_by_id).load(
            node_id(customer_id, "Customer")
        )
        if product is None or customer is None:
            return None
        problem = unsuitability(customer, product, context.runtime.settings.today())
        if problem is None:
            return Suitability(suitable=True, code=None, reason=None)
        return Suitability(suitable=False, code=problem.code, reason=problem.message)


@strawberry.input
class SaveProductInput:
    code: str
    name: str
    category: ProductCategory
    risk_level: RiskLevel | None = None
    minimum_amount: Decimal = Decimal("0.00")
    eligible_tiers: list[CustomerTier] = strawberry.field(default_factory=list)
    eligible_kinds: list[CustomerKind] = strawberry.field(default_factory=list)
    sales_from: date | None = None
    sales_to: date | None = None
    active: bool = True


@strawberry.type
class ProductPayload:
    product: Product | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ProductMutation:
    @mutation(permission=PRODUCT_MANAGE)
    async def save_marketing_product(self, info: Info, input: SaveProductInput) -> ProductPayload:
        """Add a product to the catalogue, or change the one of that code."""
        product = await save_product(
            info.context.session,
            input.code,
            ProductTerms(
                name=input.name,
                category=input.category,
                risk_level=input.risk_level,
                minimum_amount=input.minimum_amount,
                eligible_tiers=tuple(input.eligible_tiers),
                eligible_kinds=tuple(input.eligible_kinds),
                sales_from=input.sales_from,
                sales_to=input.sales_to,
                active=input.active,
            ),
        )
        return ProductPayload(product=product)  # type: ignore[arg-type]
