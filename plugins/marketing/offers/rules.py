"""The offer rules: each a small, named object saying which signal it reads,
which products it suggests, how much it weighs and why, in the words a
relationship manager can say to the customer.

A product's score is the sum of the weights of the rules suggesting it; its
reasons are theirs, heaviest first. Money freed (a maturing deposit, an idle
balance) suggests only products it reaches the minimum amount of.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from plugins.customer.models import CustomerTier
from plugins.marketing.models import MarketingProduct, ProductCategory
from plugins.marketing.offers.signals import Signals
from plugins.marketing.settings import marketing_settings

TIER_NAMES = {
    CustomerTier.MASS: "大众客户",
    CustomerTier.AFFLUENT: "富裕客户",
    CustomerTier.WEALTH: "财富客户",
    CustomerTier.PRIVATE: "私人银行客户",
}
CATEGORY_NAMES = {
    ProductCategory.DEPOSIT: "存款",
    ProductCategory.LOAN: "贷款",
    ProductCategory.WEALTH: "理财",
    ProductCategory.INSURANCE: "保险",
    ProductCategory.CARD: "信用卡",
}


def yuan(amount: Decimal) -> str:
    """``¥200,000.00``."""
    return f"¥{amount:,.2f}"


class Rule(Protocol):
    name: str
    weight: int

    def reason(self, signals: Signals) -> str | None:
        """Why the rule fires for this customer, or None when it does not."""

    def suggests(self, product: MarketingProduct, signals: Signals) -> bool:
        """Whether the product is one the rule offers (asked only when it fires)."""


@dataclass(frozen=True)
class MaturingDeposit:
    """A fixed deposit maturing within ``CRM_OFFER_MATURITY_DAYS``: its money
    is about to be free; offer a deposit or a wealth product to place it in."""

    name: str = "MATURING_DEPOSIT"
    weight: int = 40
    categories: frozenset[ProductCategory] = frozenset(
        {ProductCategory.DEPOSIT, ProductCategory.WEALTH}
    )

    def reason(self, signals: Signals) -> str | None:
        maturing = signals.maturing
        if maturing is None:
            return None
        if maturing.count == 1:
            return f"定期存款 {yuan(maturing.amount)} 将于 {maturing.first_on} 到期"
        return (
            f"{maturing.count} 笔定期存款共 {yuan(maturing.amount)} "
            f"将于 {maturing.first_on} 起陆续到期"
        )

    def suggests(self, product: MarketingProduct, signals: Signals) -> bool:
        freed = signals.maturing.amount if signals.maturing else Decimal(0)
        return product.category in self.categories and product.minimum_amount <= freed


@dataclass(frozen=True)
class IdleBalance:
    """Demand deposits of at least ``CRM_OFFER_IDLE_BALANCE_FROM`` that have not
    moved for ``CRM_OFFER_IDLE_DAYS``: money earning little; offer a wealth or
    a deposit product."""

    name: str = "IDLE_BALANCE"
    weight: int = 30
    categories: frozenset[ProductCategory] = frozenset(
        {ProductCategory.WEALTH, ProductCategory.DEPOSIT}
    )

    def reason(self, signals: Signals) -> str | None:
        settings = marketing_settings()
        if signals.idle_amount < settings.offer_idle_balance_from:
            return None
        return f"活期存款 {yuan(signals.idle_amount)} 已超过 {settings.offer_idle_days} 天未动用"

    def suggests(self, product: MarketingProduct, signals: Signals) -> bool:
        return product.category in self.categories and product.minimum_amount <= signals.idle_amount


@dataclass(frozen=True)
class TierReached:
    """A tier reached within ``CRM_OFFER_TIER_DAYS`` (an upgrade): offer the
    products limited to tiers that include the new tier but not the old."""

    name: str = "TIER_REACHED"
    weight: int = 25

    def reason(self, signals: Signals) -> str | None:
        upgrade = signals.upgrade
        if upgrade is None:
            return None
        return f"客户等级于 {upgrade.on} 升至{TIER_NAMES[upgrade.to_tier]}"

    def suggests(self, product: MarketingProduct, signals: Signals) -> bool:
        upgrade = signals.upgrade
        return (
            upgrade is not None
            and upgrade.to_tier.value in product.eligible_tiers
            and upgrade.from_tier.value not in product.eligible_tiers
        )


@dataclass(frozen=True)
class MissingCategory:
    """The customer holds no product of ``category`` at all (neither with
    another plugin nor bought through a campaign): a gap worth filling, but
    the weakest of reasons."""

    category: ProductCategory
    weight: int = 10

    @property
    def name(self) -> str:
        return f"NO_{self.category.value}"

    def reason(self, signals: Signals) -> str | None:
        if self.category.value in signals.held_categories:
            return None
        return f"尚未持有{CATEGORY_NAMES[self.category]}产品"

    def suggests(self, product: MarketingProduct, signals: Signals) -> bool:
        return product.category == self.category


RULES: tuple[Rule, ...] = (
    MaturingDeposit(),
    IdleBalance(),
    TierReached(),
    MissingCategory(ProductCategory.WEALTH),
    MissingCategory(ProductCategory.INSURANCE),
    MissingCategory(ProductCategory.CARD),
)
"""Heaviest first: the order a product's reasons are given in."""
