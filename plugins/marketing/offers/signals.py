"""What the offer rules look at, read in SQL for many customers at once.

What customers hold comes from whichever plugins answer
``crm_marketing_holdings`` (finance: deposits and loans); without any, nobody
holds anything there and only the customer-based signals are left. What they
bought through campaigns (CONVERTED memberships) is marketing's own, and a
tier just reached is the customer plugin's (``latest_tier_changes``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Integer, Subquery, and_, case, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.money import from_minor_units
from core.plugins import PluginRegistry
from plugins.customer.models import Customer, CustomerTier
from plugins.customer.tiers import latest_tier_changes
from plugins.marketing.models import Campaign, MarketingProduct, Membership, MembershipStatus
from plugins.marketing.settings import marketing_settings

DEPOSIT = "DEPOSIT"


@dataclass(frozen=True)
class Maturing:
    """Fixed deposits maturing soon: how much, how many, the first date."""

    amount: Decimal
    count: int
    first_on: date


@dataclass(frozen=True)
class Upgrade:
    """The tier the customer reached, from which, on which business date."""

    from_tier: CustomerTier
    to_tier: CustomerTier
    on: date


@dataclass
class Signals:
    """Everything the rules know about one customer."""

    customer: Customer
    maturing: Maturing | None = None
    idle_amount: Decimal = Decimal("0.00")
    upgrade: Upgrade | None = None
    held_codes: set[str] = field(default_factory=set)
    held_categories: set[str] = field(default_factory=set)


def holdings_table(plugins: PluginRegistry) -> Subquery | None:
    """Every plugin's holdings as one table; None when no enabled plugin has any.

    Each answer is wrapped as a subquery first: SQLite takes no compound
    SELECT (finance's deposits UNION ALL loans) as a member of another."""
    parts = [part for part in plugins.hook.crm_marketing_holdings() if part is not None]
    if not parts:
        return None
    return union_all(*(select(*part.subquery().c) for part in parts)).subquery("holdings")


async def read_signals(
    session: AsyncSession, plugins: PluginRegistry, customers: Sequence[Customer], today: date
) -> dict[int, Signals]:
    """The signals of each customer, keyed by id: three statements however many."""
    found = {customer.id: Signals(customer) for customer in customers if customer.id is not None}
    ids = list(found)
    if not ids:
        return found
    await _holdings(session, plugins, found, ids, today)
    await _conversions(session, found, ids)
    settings = marketing_settings()
    since = today - timedelta(days=settings.offer_tier_days)
    for customer_id, change in (await latest_tier_changes(session, ids, since)).items():
        if _rank(change.to_tier) > _rank(change.from_tier):
            found[customer_id].upgrade = Upgrade(
                CustomerTier(change.from_tier), CustomerTier(change.to_tier), change.business_date
            )
    return found


def _rank(tier: CustomerTier | str) -> int:
    return list(CustomerTier).index(CustomerTier(tier))


async def _holdings(
    session: AsyncSession,
    plugins: PluginRegistry,
    found: dict[int, Signals],
    ids: list[int],
    today: date,
) -> None:
    """Per customer and held product: the amount maturing soon (fixed
    deposits: a maturity date), the amount lying idle (demand deposits: no
    maturity, not moved lately), and the product's code and category."""
    table = holdings_table(plugins)
    if table is None:
        return
    settings = marketing_settings()
    h = table.c
    maturing = and_(
        h.category == DEPOSIT,
        h.matures_on >= today,
        h.matures_on <= today + timedelta(days=settings.offer_maturity_days),
    )
    idle = and_(
        h.category == DEPOSIT,
        h.matures_on.is_(None),
        or_(
            h.last_moved_on.is_(None),
            h.last_moved_on <= today - timedelta(days=settings.offer_idle_days),
        ),
    )
    rows = await session.execute(
        select(
            h.customer_id,
            h.product_code,
            h.category,
            func.sum(case((maturing, h.amount), else_=0)).label("maturing"),
            func.sum(case((maturing, 1), else_=0), type_=Integer).label("maturing_count"),
            func.min(case((maturing, h.matures_on))).label("first_maturity"),
            func.sum(case((idle, h.amount), else_=0)).label("idle"),
        )
        .where(h.customer_id.in_(ids))
        .group_by(h.customer_id, h.product_code, h.category)
    )
    maturing_by: dict[int, list[tuple[int, int, date]]] = {}
    for row in rows:
        signals = found[row.customer_id]
        signals.held_codes.add(row.product_code)
        signals.held_categories.add(row.category)
        signals.idle_amount += from_minor_units(int(row.idle or 0))
        if row.maturing_count:
            maturing_by.setdefault(row.customer_id, []).append(
                (int(row.maturing), int(row.maturing_count), row.first_maturity)
            )
    for customer_id, parts in maturing_by.items():
        found[customer_id].maturing = Maturing(
            amount=from_minor_units(sum(fen for fen, _, _ in parts)),
            count=sum(count for _, count, _ in parts),
            first_on=min(on for _, _, on in parts),
        )


async def _conversions(session: AsyncSession, found: dict[int, Signals], ids: list[int]) -> None:
    """The products customers bought through a campaign: held as well."""
    rows = await session.execute(
        select(Membership.customer_id, MarketingProduct.code, MarketingProduct.category)
        .join(Campaign, Campaign.id == Membership.campaign_id)  # type: ignore[arg-type]
        .join(MarketingProduct, MarketingProduct.id == Campaign.product_id)  # type: ignore[arg-type]
        .where(
            Membership.customer_id.in_(ids),  # type: ignore[attr-defined]
            Membership.status == MembershipStatus.CONVERTED,
        )
        .distinct()
    )
    for customer_id, code, category in rows:
        found[customer_id].held_codes.add(code)
        found[customer_id].held_categories.add(str(category))
