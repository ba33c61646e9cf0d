"""Deposit products and their rates, in GraphQL."""

from __future__ import annotations

from decimal import Decimal

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from core.authorization import Access
from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, mutation, query
from plugins.finance import models, products
from plugins.finance.interest_math import plain_rate
from plugins.finance.models import AccountKind
from plugins.finance.permissions import RATE_MANAGE


@strawberry.type(description="The annual rate a product opens new accounts at, for one term.")
class ProductRate:
    term_months: int = strawberry.field(description="0 for demand deposits.")
    annual_rate: Decimal = strawberry.field(description="Annual, in percent.")


@strawberry.type(description="A deposit product.")
class DepositProduct:
    code: str
    name: str
    kind: AccountKind
    currency: str
    standard: bool = strawberry.field(description="The default for its kind and currency.")
    rates: list[ProductRate]


@strawberry.input
class SetDepositRateInput:
    product_code: str
    term_months: int = strawberry.field(default=0, description="0 for demand deposits.")
    annual_rate: Decimal = strawberry.field(description="Annual, in percent.")


@strawberry.type
class DepositProductPayload:
    product: DepositProduct | None = None
    accounts_repriced: int = strawberry.field(
        default=0, description="Open demand accounts moved to the new rate."
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


async def _catalogue(context: Context, codes: list[str] | None = None) -> list[DepositProduct]:
    statement = select(models.Product, models.ProductRate).join(
        models.ProductRate, models.ProductRate.product_id == models.Product.id
    )
    if codes is not None:
        statement = statement.where(models.Product.code.in_(codes))  # type: ignore[attr-defined]
    found: dict[int, DepositProduct] = {}
    rows = await context.session.execute(
        statement.order_by(models.Product.code, models.ProductRate.term_months)
    )
    for product, rate in rows:
        listed = found.setdefault(
            product.id,  # type: ignore[arg-type]
            DepositProduct(
                code=product.code,
                name=product.name,
                kind=product.kind,
                currency=product.currency,
                standard=product.standard,
                rates=[],
            ),
        )
        listed.rates.append(
            ProductRate(term_months=rate.term_months, annual_rate=plain_rate(rate.annual_rate))
        )
    return list(found.values())


@strawberry.type
class ProductQuery:
    @query(permission=Access.SIGNED_IN)
    async def deposit_products(self, info: Info) -> list[DepositProduct]:
        """The deposit products and the rates they open new accounts at (public rates)."""
        return await _catalogue(info.context)


@strawberry.type
class ProductMutation:
    @mutation(permission=RATE_MANAGE)
    async def set_deposit_rate(
        self, info: Info, input: SetDepositRateInput
    ) -> DepositProductPayload:
        """List a new rate: new accounts open at it, and so do open demand accounts
        from the next accrual; fixed deposits keep the rate they opened at."""
        context: Context = info.context
        product = await context.session.scalar(
            select(models.Product).where(models.Product.code == input.product_code.strip().upper())
        )
        if product is None:
            raise BusinessError(
                "PRODUCT_NOT_FOUND", "There is no such product.", ["input", "productCode"]
            )
        moved = await products.change_rate(
            context.session, product, input.term_months, input.annual_rate
        )
        (listed,) = await _catalogue(context, [product.code])
        return DepositProductPayload(product=listed, accounts_repriced=moved)
