"""Service tiers from assets under management, recomputed in bulk.

Assets come from whichever plugins hold them (``crm_customer_assets``);
without any, every customer is MASS. Customers are taken in chunks of ids, so
memory stays flat however many there are; the database compares each one's
tier with the one its assets earn, so only the customers who move are read,
and written: one UPDATE per target tier and one INSERT of history per chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import utcnow
from core.events import EventBus
from core.money import from_minor_units, to_minor_units
from core.plugins import PluginRegistry
from plugins.customer.assets import assets_table
from plugins.customer.events import TierChanged
from plugins.customer.models import Customer, CustomerStatus, CustomerTier, TierChange
from plugins.customer.settings import CustomerSettings, customer_settings

CHUNK = 1000


@dataclass
class Retiering:
    """What a recomputation did."""

    examined: int = 0
    upgraded: int = 0
    downgraded: int = 0


def tier_at_close_of(day: date) -> ColumnElement[str]:
    """The tier each ``Customer`` row had at the close of business date ``day``:
    where its last change up to then led, or, if it changed only later, where
    the first later change started from, or else the tier it has now."""
    earlier = TierChange.customer_id == Customer.id, TierChange.business_date <= day
    later = TierChange.customer_id == Customer.id, TierChange.business_date > day
    latest = select(TierChange.to_tier).where(*earlier).order_by(TierChange.id.desc()).limit(1)  # type: ignore[union-attr]
    first_later = select(TierChange.from_tier).where(*later).order_by(TierChange.id).limit(1)
    return func.coalesce(latest.scalar_subquery(), first_later.scalar_subquery(), Customer.tier)


async def recompute_tiers(
    session: AsyncSession,
    plugins: PluginRegistry,
    events: EventBus,
    customer_ids: Sequence[int] | None = None,
    *,
    on: date,
) -> Retiering:
    """Put every active customer (or those given) in the tier their assets earn,
    as a change counting on business date ``on``."""
    settings = customer_settings()
    result = Retiering()
    selected = [Customer.status == CustomerStatus.ACTIVE]
    if customer_ids is not None:
        selected.append(Customer.id.in_(customer_ids))  # type: ignore[union-attr]
    last_id = 0
    while True:
        chunk = list(
            await session.scalars(
                select(Customer.id)
                .where(*selected, Customer.id > last_id)  # type: ignore[operator]
                .order_by(Customer.id)
                .limit(CHUNK)
            )
        )
        if not chunk:
            return result
        last_id = chunk[-1]
        result.examined += len(chunk)
        out_of_line = await session.execute(
            _out_of_line(plugins, settings, chunk[0], last_id).where(*selected)
        )
        changes = []
        for row in out_of_line:
            assets = from_minor_units(row.assets)
            if (earned := settings.tier_for(assets)) is not row.tier:
                changes.append(TierChanged(row.id, CustomerTier(row.tier), earned, assets))
        await _write(session, changes, on)
        for change in changes:
            await events.publish(change, session)
        result.upgraded += sum(change.is_upgrade for change in changes)
        result.downgraded += sum(not change.is_upgrade for change in changes)


def _out_of_line(
    plugins: PluginRegistry, settings: CustomerSettings, first_id: int, last_id: int
) -> Select[Any]:
    """The customers with ids from ``first_id`` to ``last_id`` whose tier is not the
    one their assets earn, with their assets in fen: the comparison is made in
    the database, so only the customers who move come back."""
    in_range = Customer.id.between(first_id, last_id)  # type: ignore[union-attr]
    held = assets_table(plugins)
    if held is None:
        assets: ColumnElement[int] = literal(0)
        customers = select(Customer.id, Customer.tier, assets.label("assets"))
    else:
        chunk = (
            select(held.c.customer_id, held.c.amount)
            .where(held.c.customer_id.between(first_id, last_id))
            .subquery("chunk_assets")
        )
        assets = func.coalesce(chunk.c.amount, 0)
        customers = select(Customer.id, Customer.tier, assets.label("assets")).outerjoin(
            chunk, chunk.c.customer_id == Customer.id
        )
    return customers.where(in_range, Customer.tier != tier_earned(settings, assets))


def tier_earned(settings: CustomerSettings, assets_fen: ColumnElement[int]) -> ColumnElement[str]:
    """The tier ``assets_fen`` earns, in SQL (as ``CustomerSettings.tier_for``)."""
    return case(
        (assets_fen >= to_minor_units(settings.tier_private_from), CustomerTier.PRIVATE.value),
        (assets_fen >= to_minor_units(settings.tier_wealth_from), CustomerTier.WEALTH.value),
        (assets_fen >= to_minor_units(settings.tier_affluent_from), CustomerTier.AFFLUENT.value),
        else_=CustomerTier.MASS.value,
    )


async def _write(session: AsyncSession, changes: list[TierChanged], on: date) -> None:
    """Move the customers to their new tiers and keep the history."""
    if not changes:
        return
    by_tier: dict[CustomerTier, list[int]] = defaultdict(list)
    for change in changes:
        by_tier[change.to_tier].append(change.customer_id)
    for tier, ids in by_tier.items():
        await session.execute(
            update(Customer).where(Customer.id.in_(ids)).values(tier=tier)  # type: ignore[union-attr]
        )
    now = utcnow()
    await session.execute(
        insert(TierChange),
        [
            {
                "customer_id": change.customer_id,
                "from_tier": change.from_tier,
                "to_tier": change.to_tier,
                "assets": change.assets,
                "changed_at": now,
                "business_date": on,
            }
            for change in changes
        ],
    )


async def latest_tier_changes(
    session: AsyncSession, customer_ids: Sequence[int], since: date
) -> dict[int, TierChange]:
    """Each of the customers' latest tier change counting on or after ``since``
    (for other plugins: a tier just reached), in one statement; customers whose
    tier has not moved since are left out."""
    if not customer_ids:
        return {}
    latest = (
        select(func.max(TierChange.id))
        .where(TierChange.customer_id.in_(customer_ids), TierChange.business_date >= since)  # type: ignore[attr-defined]
        .group_by(TierChange.customer_id)
    )
    rows = await session.scalars(select(TierChange).where(TierChange.id.in_(latest)))  # type: ignore[union-attr]
    return {change.customer_id: change for change in rows}
