"""Deposit products and the rates new accounts open at.

The bank's standard products are reference data, seeded on every upgrade when
missing (:func:`seed_standard_products`). A rate change applies to accounts
opened afterwards and to open demand deposits (whose rate is the listed rate
of the day); fixed deposits keep the rate they were opened at.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import utcnow
from core.db import insert_for
from core.errors import BusinessError
from plugins.finance.models import (
    Account,
    AccountKind,
    AccountStatus,
    Product,
    ProductRate,
)

FIXED_TERMS = (3, 6, 12, 24, 36, 60)
"""整存整取 terms, in months."""
DEMAND_TERM = 0
MAX_RATE = Decimal("100")

STANDARD_PRODUCTS: tuple[tuple[str, str, AccountKind, str, dict[int, str]], ...] = (
    ("DEMAND-CNY", "人民币活期储蓄", AccountKind.DEMAND, "CNY", {DEMAND_TERM: "0.05"}),
    (
        "FIXED-CNY",
        "人民币整存整取",
        AccountKind.FIXED,
        "CNY",
        {3: "0.65", 6: "0.85", 12: "0.95", 24: "1.05", 36: "1.25", 60: "1.30"},
    ),
    ("DEMAND-USD", "美元活期储蓄", AccountKind.DEMAND, "USD", {DEMAND_TERM: "0.05"}),
)


async def seed_standard_products(session: AsyncSession) -> None:
    """Insert the standard products and their rates where missing."""
    for code, name, kind, currency, rates in STANDARD_PRODUCTS:
        await session.execute(
            insert_for(session, Product)
            .values(code=code, name=name, kind=kind, currency=currency, standard=True)
            .on_conflict_do_nothing(index_elements=[Product.code])
        )
        product_id = await session.scalar(select(Product.id).where(Product.code == code))
        await session.execute(
            insert_for(session, ProductRate)
            .values(
                [
                    {
                        "product_id": product_id,
                        "term_months": term,
                        "annual_rate": Decimal(rate),
                        "changed_at": utcnow(),
                    }
                    for term, rate in rates.items()
                ]
            )
            .on_conflict_do_nothing(
                index_elements=[ProductRate.product_id, ProductRate.term_months]
            )
        )


async def find_product(
    session: AsyncSession, code: str | None, kind: AccountKind, currency: str
) -> Product:
    """The product named by ``code``, or the standard one for ``kind`` and ``currency``."""
    statement = select(Product)
    if code is not None:
        statement = statement.where(Product.code == code.strip().upper())
    else:
        statement = statement.where(
            Product.kind == kind,
            Product.currency == currency,
            Product.standard.is_(True),  # type: ignore[attr-defined]
        )
    product = await session.scalar(statement)
    if product is None:
        raise BusinessError(
            "PRODUCT_NOT_FOUND",
            f"There is no such {kind.value.lower()} product in {currency}.",
            ["input", "productCode"],
        )
    if product.kind is not kind:
        raise BusinessError(
            "PRODUCT_KIND_MISMATCH",
            f"Product {product.code} is not a {kind.value.lower()} product.",
            ["input", "productCode"],
        )
    return product


async def rate_of(session: AsyncSession, product: Product, term_months: int) -> Decimal:
    """The annual rate, in percent, that ``product`` opens at for ``term_months``."""
    rate = await session.scalar(
        select(ProductRate.annual_rate).where(
            ProductRate.product_id == product.id, ProductRate.term_months == term_months
        )
    )
    if rate is None:
        raise BusinessError(
            "INVALID_TERM",
            f"Product {product.code} has no {term_months}-month term.",
            ["input", "termMonths"],
        )
    return rate


async def change_rate(
    session: AsyncSession, product: Product, term_months: int, annual_rate: Decimal
) -> int:
    """List a new rate; returns how many open demand accounts moved to it."""
    if not annual_rate.is_finite() or not Decimal(0) <= annual_rate <= MAX_RATE:
        raise BusinessError(
            "INVALID_RATE", "The rate is a percentage from 0 to 100.", ["input", "annualRate"]
        )
    if annual_rate != annual_rate.quantize(Decimal("0.0001")):
        raise BusinessError(
            "INVALID_RATE", "A rate has at most four decimal places.", ["input", "annualRate"]
        )
    await rate_of(session, product, term_months)  # the term must exist
    await session.execute(
        update(ProductRate)
        .where(ProductRate.product_id == product.id, ProductRate.term_months == term_months)
        .values(annual_rate=annual_rate, changed_at=utcnow())
    )
    if product.kind is not AccountKind.DEMAND:
        return 0
    moved = await session.execute(
        update(Account)
        .where(Account.product_id == product.id, Account.status != AccountStatus.CLOSED)
        .values(annual_rate=annual_rate)
    )
    return moved.rowcount  # type: ignore[attr-defined]
