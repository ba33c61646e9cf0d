"""Batch loads for the marketing plugin's types."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, or_, select, true

from core.authorization import Principal
from core.context import Context
from core.loaders import all_per_key, one_per_key
from plugins.marketing.models import Campaign, MarketingProduct, Membership, OptOut, Segment


def campaigns_in_scope(principal: Principal) -> ColumnElement[bool]:
    """Head office's campaigns, and the viewer's branch's (head office: every one)."""
    if principal.branch_id is None:
        return true()
    return or_(Campaign.branch_id.is_(None), Campaign.branch_id == principal.branch_id)  # type: ignore[union-attr]


async def campaigns_by_id(context: Context, ids: Sequence[int | None]) -> list[Campaign | None]:
    """Campaigns the viewer may look up."""
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(Campaign).where(Campaign.id.in_(wanted), campaigns_in_scope(context.user))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda campaign: campaign.id)  # type: ignore[arg-type, return-value]


async def campaigns_of_memberships(context: Context, ids: Sequence[int]) -> list[Campaign]:
    """The campaigns a visible customer was targeted by, whichever branch ran them."""
    rows = await context.session.scalars(select(Campaign).where(Campaign.id.in_(ids)))  # type: ignore[union-attr]
    return one_per_key(ids, rows, lambda campaign: campaign.id)  # type: ignore[arg-type, return-value]


async def member_counts(context: Context, ids: Sequence[int]) -> list[int]:
    rows = await context.session.execute(
        select(Membership.campaign_id, func.count())
        .where(Membership.campaign_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(Membership.campaign_id)
    )
    found = dict(rows.all())
    return [found.get(i, 0) for i in ids]


async def memberships_by_customer(context: Context, ids: Sequence[int]) -> list[list[Membership]]:
    rows = await context.session.scalars(
        select(Membership)
        .where(Membership.customer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(Membership.id.desc())  # type: ignore[union-attr]
    )
    return all_per_key(ids, rows, lambda membership: membership.customer_id)


async def opt_outs_by_customer(context: Context, ids: Sequence[int]) -> list[list[OptOut]]:
    rows = await context.session.scalars(
        select(OptOut)
        .where(OptOut.customer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(OptOut.channel)
    )
    return all_per_key(ids, rows, lambda opt_out: opt_out.customer_id)


async def products_by_id(context: Context, ids: Sequence[int]) -> list[MarketingProduct | None]:
    rows = await context.session.scalars(
        select(MarketingProduct).where(MarketingProduct.id.in_(ids))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda product: product.id)  # type: ignore[arg-type, return-value]


async def segments_by_id(context: Context, ids: Sequence[int | None]) -> list[Segment | None]:
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(select(Segment).where(Segment.id.in_(wanted)))  # type: ignore[union-attr]
    return one_per_key(ids, rows, lambda segment: segment.id)  # type: ignore[arg-type, return-value]
