"""Suitability (适当性): which products may be offered or sold to whom.

A product of risk level Rn goes only to a customer assessed Cn or higher,
within the last year (``CRM_RISK_ASSESSMENT_VALID_DAYS``); a product limited
to some tiers or customer kinds goes only to those; and only within its sales
window. The same rule is one Python check (:func:`unsuitability`) for one
customer and one SQL condition (:func:`suitable_customers`) for an audience,
so a campaign never targets whom a manager could not sell to.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, true

from core.errors import BusinessError
from plugins.customer.models import Customer, CustomerStatus, RiskProfile
from plugins.marketing.models import MarketingProduct, RiskLevel
from plugins.marketing.settings import marketing_settings

PROFILES_FOR = {
    level: [profile for profile in RiskProfile if int(profile.value[1]) >= int(level.value[1])]
    for level in RiskLevel
}
"""The risk profiles a product of each risk level suits: Cn and above for Rn."""


def off_sale(product: MarketingProduct, today: date) -> BusinessError | None:
    """PRODUCT_NOT_ON_SALE when ``product`` is withdrawn or outside its sales window."""
    if (
        not product.active
        or (product.sales_from is not None and today < product.sales_from)
        or (product.sales_to is not None and today > product.sales_to)
    ):
        return BusinessError(
            "PRODUCT_NOT_ON_SALE", f"{product.name} is not on sale today.", ["input"]
        )
    return None


def unsuitability(
    customer: Customer, product: MarketingProduct, today: date
) -> BusinessError | None:
    """Why ``product`` may not be offered to ``customer`` today, or None if it may."""
    if (problem := off_sale(product, today)) is not None:
        return problem
    if customer.status is not CustomerStatus.ACTIVE:
        return BusinessError("CUSTOMER_CLOSED", "The customer is closed.", ["input", "customerId"])
    if product.eligible_tiers and customer.tier.value not in product.eligible_tiers:
        return BusinessError(
            "NOT_ELIGIBLE",
            f"{product.name} is not for the customer's tier.",
            ["input", "customerId"],
        )
    if product.eligible_kinds and customer.kind.value not in product.eligible_kinds:
        return BusinessError(
            "NOT_ELIGIBLE",
            f"{product.name} is not for this kind of customer.",
            ["input", "customerId"],
        )
    if product.risk_level is None:
        return None
    valid_from = today - timedelta(days=marketing_settings().risk_assessment_valid_days)
    if customer.risk_profile is None or customer.risk_assessed_on is None:
        return BusinessError(
            "RISK_ASSESSMENT_REQUIRED",
            "The customer's risk tolerance has not been assessed.",
            ["input", "customerId"],
        )
    if customer.risk_assessed_on < valid_from:
        return BusinessError(
            "RISK_ASSESSMENT_EXPIRED",
            "The customer's risk assessment is more than a year old.",
            ["input", "customerId"],
        )
    if customer.risk_profile not in PROFILES_FOR[product.risk_level]:
        return BusinessError(
            "UNSUITABLE_PRODUCT",
            f"A {product.risk_level.value} product does not suit a "
            f"{customer.risk_profile.value} customer.",
            ["input", "customerId"],
        )
    return None


def suitable_customers(product: MarketingProduct | None, today: date) -> ColumnElement[bool]:
    """The same rule as a WHERE clause on ``Customer`` (the sales window is the
    campaign's to check, once)."""
    if product is None:
        return true()
    rules = []
    if product.eligible_tiers:
        rules.append(Customer.tier.in_(product.eligible_tiers))  # type: ignore[attr-defined]
    if product.eligible_kinds:
        rules.append(Customer.kind.in_(product.eligible_kinds))  # type: ignore[attr-defined]
    if product.risk_level is not None:
        valid_from = today - timedelta(days=marketing_settings().risk_assessment_valid_days)
        rules.append(Customer.risk_profile.in_(PROFILES_FOR[product.risk_level]))  # type: ignore[union-attr]
        rules.append(Customer.risk_assessed_on >= valid_from)  # type: ignore[operator]
    return and_(true(), *rules)
