"""Service tiers: their history on a customer, and recomputing them on demand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.business_day import open_business_date
from core.context import Context
from core.graphql import UserError, extends, mutation, node_id
from core.loaders import all_per_key
from core.money import Money
from plugins.customer.models import Customer, CustomerTier, TierChange
from plugins.customer.permissions import CUSTOMER_RETIER
from plugins.customer.scope import in_scope
from plugins.customer.tiers import recompute_tiers


@strawberry.type(name="TierChange", description="A move of a customer from one tier to another.")
class TierChangeType:
    from_tier: CustomerTier
    to_tier: CustomerTier
    changed_at: datetime
    business_date: date = strawberry.field(description="The business date it counts on.")

    @strawberry.field(description="Assets under management that earned the new tier.")
    def assets(self, root: strawberry.Parent[TierChange]) -> Money:
        return Money(amount=root.assets, currency="CNY")


async def tier_history_by_customer_id(
    context: Context, ids: Sequence[int]
) -> list[list[TierChange]]:
    rows = await context.session.scalars(
        select(TierChange)
        .where(TierChange.customer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(TierChange.changed_at.desc(), TierChange.id.desc())  # type: ignore[attr-defined, union-attr]
    )
    return all_per_key(ids, rows, lambda row: row.customer_id)


@extends("Customer")
@strawberry.type
class CustomerTierHistory:
    @strawberry.field(description="Every change of tier, newest first.")
    async def tier_history(
        self, root: strawberry.Parent[Customer], info: Info
    ) -> list[TierChangeType]:
        return await info.context.loader(tier_history_by_customer_id).load(root.id)  # type: ignore[return-value]


@strawberry.input
class RecomputeTiersInput:
    "Default: every customer in your scope."

    customer_ids: list[relay.GlobalID] | None = None


@strawberry.type
class RecomputeTiersPayload:
    examined: int = 0
    upgraded: int = 0
    downgraded: int = 0
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TierMutation:
    @mutation(permission=CUSTOMER_RETIER)
    async def recompute_tiers(
        self, info: Info, input: RecomputeTiersInput | None = None
    ) -> RecomputeTiersPayload:
        """Put customers in the tier their assets earn now (the end-of-day batch does
        this for everyone); each change is kept and announced."""
        context: Context = info.context
        wanted = select(Customer.id).where(in_scope(context.user))
        if input is not None and input.customer_ids is not None:
            ids = [node_id(gid, "Customer") for gid in input.customer_ids]
            wanted = wanted.where(Customer.id.in_([i for i in ids if i is not None]))  # type: ignore[union-attr]
        done = await recompute_tiers(
            context.session,
            context.runtime.plugins,
            context.runtime.events,
            list(await context.session.scalars(wanted)),  # type: ignore[arg-type]
            on=await open_business_date(context.session, context.runtime.settings),
        )
        return RecomputeTiersPayload(
            examined=done.examined, upgraded=done.upgraded, downgraded=done.downgraded
        )
