"""Service tiers from assets under management, recomputed in bulk.

Assets come from whichever plugins hold them (``crm_customer_assets``);
without any, every customer is MASS. Customers are read in chunks, so memory
stays flat however many there are, and only the ones whose tier changes are
written: one UPDATE per target tier and one INSERT of history per chunk.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import utcnow
from core.events import EventBus
from core.plugins import PluginRegistry
from plugins.customer.assets import assets_of
from plugins.customer.events import TierChanged
from plugins.customer.models import Customer, CustomerStatus, CustomerTier, TierChange
from plugins.customer.settings import customer_settings

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
    selected = select(Customer.id, Customer.tier).where(Customer.status == CustomerStatus.ACTIVE)
    if customer_ids is not None:
        selected = selected.where(Customer.id.in_(customer_ids))  # type: ignore[union-attr]
    last_id = 0
    while True:
        chunk = list(
            await session.execute(
                selected.where(Customer.id > last_id).order_by(Customer.id).limit(CHUNK)  # type: ignore[operator]
            )
        )
        if not chunk:
            return result
        last_id = chunk[-1].id
        result.examined += len(chunk)
        assets = await assets_of(session, plugins, [row.id for row in chunk])
        changes = [
            TierChanged(row.id, CustomerTier(row.tier), earned, assets[row.id])
            for row in chunk
            if (earned := settings.tier_for(assets[row.id])) is not row.tier
        ]
        await _write(session, changes, on)
        for change in changes:
            await events.publish(change, session)
        result.upgraded += sum(change.is_upgrade for change in changes)
        result.downgraded += sum(not change.is_upgrade for change in changes)


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
