"""The product catalogue: the bank's standard products, seeded, and head
office's own, added and changed through the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import insert_for
from core.errors import BusinessError
from core.money import checked_amount
from core.validation import clean_text
from plugins.customer.models import CustomerKind, CustomerTier
from plugins.marketing.models import NAME_MAX, MarketingProduct, ProductCategory, RiskLevel

AFFLUENT_UP = ["AFFLUENT", "WEALTH", "PRIVATE"]
WEALTH_UP = ["WEALTH", "PRIVATE"]
PERSON = ["INDIVIDUAL"]
D, W, I, C, L = (  # noqa: E741  (a table's column of categories)
    ProductCategory.DEPOSIT,
    ProductCategory.WEALTH,
    ProductCategory.INSURANCE,
    ProductCategory.CARD,
    ProductCategory.LOAN,
)
STANDARD_PRODUCTS = (
    # code, name, category, risk level, minimum (CNY), tiers, customer kinds
    ("DEP-CD-3Y", "三年期大额存单", D, None, "200000", [], []),
    ("WM-R2-STEADY", "稳健增利理财 (R2)", W, RiskLevel.R2, "10000", [], []),
    ("WM-R3-BALANCED", "平衡配置理财 (R3)", W, RiskLevel.R3, "10000", AFFLUENT_UP, []),
    ("WM-R4-EQUITY", "权益精选理财 (R4)", W, RiskLevel.R4, "100000", WEALTH_UP, []),
    ("PE-R5-FUND", "私募股权基金 (R5)", W, RiskLevel.R5, "1000000", ["PRIVATE"], PERSON),
    ("INS-ANNUITY", "终身年金保险", I, None, "0", [], PERSON),
    ("CARD-PLATINUM", "白金信用卡", C, None, "0", AFFLUENT_UP, PERSON),
    ("LOAN-CONSUMER", "个人消费贷款", L, None, "0", [], PERSON),
)


async def seed_standard_products(session: AsyncSession) -> None:
    """Insert the standard products that are missing."""
    for code, name, category, risk, minimum, tiers, kinds in STANDARD_PRODUCTS:
        await session.execute(
            insert_for(session, MarketingProduct)
            .values(
                code=code,
                name=name,
                category=category,
                risk_level=risk,
                minimum_amount=Decimal(minimum),
                eligible_tiers=tiers,
                eligible_kinds=kinds,
                active=True,
            )
            .on_conflict_do_nothing(index_elements=[MarketingProduct.code])
        )


@dataclass(frozen=True)
class ProductTerms:
    name: str
    category: ProductCategory
    risk_level: RiskLevel | None = None
    minimum_amount: Decimal = Decimal("0.00")
    eligible_tiers: tuple[CustomerTier, ...] = ()
    eligible_kinds: tuple[CustomerKind, ...] = ()
    sales_from: date | None = None
    sales_to: date | None = None
    active: bool = True


async def product_by_code(session: AsyncSession, code: str) -> MarketingProduct | None:
    return await session.scalar(
        select(MarketingProduct).where(MarketingProduct.code == code.strip().upper())
    )


async def save_product(session: AsyncSession, code: str, terms: ProductTerms) -> MarketingProduct:
    """Add the product ``code``, or change it if it exists."""
    code = clean_text(code, field=["input", "code"], max_length=32).upper()
    if terms.category is ProductCategory.WEALTH and terms.risk_level is None:
        raise BusinessError(
            "RISK_LEVEL_REQUIRED", "A wealth product needs a risk level.", ["input", "riskLevel"]
        )
    minimum = (
        Decimal("0.00")
        if terms.minimum_amount == 0
        else checked_amount(terms.minimum_amount, ["input", "minimumAmount"])
    )
    if terms.sales_from and terms.sales_to and terms.sales_to < terms.sales_from:
        raise BusinessError(
            "INVALID_PERIOD", "The sales window ends before it starts.", ["input", "salesTo"]
        )
    product = await product_by_code(session, code) or MarketingProduct(
        code=code, name="", category=terms.category
    )
    product.name = clean_text(terms.name, field=["input", "name"], max_length=NAME_MAX)
    product.category = terms.category
    product.risk_level = terms.risk_level
    product.minimum_amount = minimum
    product.eligible_tiers = sorted({tier.value for tier in terms.eligible_tiers})
    product.eligible_kinds = sorted({kind.value for kind in terms.eligible_kinds})
    product.sales_from, product.sales_to = terms.sales_from, terms.sales_to
    product.active = terms.active
    session.add(product)
    await session.flush()
    return product
