"""Loan products: the bank's standard ones are reference data."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import insert_for
from core.errors import BusinessError
from plugins.customer.models import CustomerKind
from plugins.finance.loans.models import LoanProduct

STANDARD_LOAN_PRODUCTS = (
    LoanProduct(
        code="PERSONAL-CONSUMER",
        name="个人消费贷款",
        customer_kind=CustomerKind.INDIVIDUAL,
        annual_rate=Decimal("4.35"),
        min_term_months=6,
        max_term_months=60,
        min_amount=Decimal("10000.00"),
        max_amount=Decimal("1000000.00"),
        standard=True,
    ),
    LoanProduct(
        code="PERSONAL-MORTGAGE",
        name="个人住房贷款",
        customer_kind=CustomerKind.INDIVIDUAL,
        annual_rate=Decimal("3.10"),
        min_term_months=60,
        max_term_months=360,
        min_amount=Decimal("100000.00"),
        max_amount=Decimal("10000000.00"),
    ),
    LoanProduct(
        code="CORPORATE-WORKING-CAPITAL",
        name="流动资金贷款",
        customer_kind=CustomerKind.CORPORATE,
        annual_rate=Decimal("3.45"),
        min_term_months=3,
        max_term_months=36,
        min_amount=Decimal("100000.00"),
        max_amount=Decimal("50000000.00"),
        standard=True,
    ),
)


async def seed_standard_loan_products(session: AsyncSession) -> None:
    """Insert the standard loan products where missing."""
    for product in STANDARD_LOAN_PRODUCTS:
        await session.execute(
            insert_for(session, LoanProduct)
            .values(product.model_dump(exclude={"id"}))
            .on_conflict_do_nothing(index_elements=[LoanProduct.code])
        )


async def find_loan_product(
    session: AsyncSession, code: str | None, kind: CustomerKind
) -> LoanProduct:
    """The product named by ``code``, or the standard one for a customer of ``kind``."""
    statement = select(LoanProduct)
    if code is not None:
        statement = statement.where(LoanProduct.code == code.strip().upper())
    else:
        statement = statement.where(
            LoanProduct.customer_kind == kind,
            LoanProduct.standard.is_(True),  # type: ignore[attr-defined]
        )
    product = await session.scalar(statement)
    field = ["input", "productCode"]
    if product is None:
        raise BusinessError("PRODUCT_NOT_FOUND", "There is no such loan product.", field)
    if product.customer_kind is not kind:
        raise BusinessError(
            "PRODUCT_KIND_MISMATCH",
            f"Loan product {product.code} is not for {kind.value.lower()} customers.",
            field,
        )
    return product
