"""Memberships across a merge of customers: the duplicate's campaigns become
the survivor's; where both were targeted by one campaign, one membership
stays, as far along as the further of the two, with both histories (and
messages: see ``merge_messages``); an opt-out of either holds for the survivor."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.db import insert_for
from plugins.marketing.campaigns import STAGE
from plugins.marketing.delivery.outbox import merge_messages
from plugins.marketing.models import Membership, MembershipStatus, OptOut, Response


def _progress(membership: Membership) -> tuple[int, bool]:
    """How far a membership came; a sale counts for more than a refusal."""
    return STAGE[membership.status], membership.status is MembershipStatus.CONVERTED


async def move_memberships(session: AsyncSession, survivor_id: int, duplicate_id: int) -> None:
    kept = aliased(Membership)
    doubled = await session.execute(
        select(Membership, kept)
        .join(kept, kept.campaign_id == Membership.campaign_id)
        .where(Membership.customer_id == duplicate_id, kept.customer_id == survivor_id)
    )
    for duplicate, survivor in doubled:
        if _progress(duplicate) > _progress(survivor):
            survivor.status = duplicate.status
            survivor.converted_amount = duplicate.converted_amount
            survivor.updated_at, survivor.updated_by = duplicate.updated_at, duplicate.updated_by
            session.add(survivor)
        await session.execute(
            update(Response)
            .where(Response.membership_id == duplicate.id)
            .values(membership_id=survivor.id)
        )
        await merge_messages(session, duplicate.id, survivor.id)  # type: ignore[arg-type]
        await session.delete(duplicate)
    await session.flush()
    await session.execute(
        update(Membership)
        .where(Membership.customer_id == duplicate_id)
        .values(customer_id=survivor_id)
    )
    moved = await session.scalars(select(OptOut).where(OptOut.customer_id == duplicate_id))
    for opt_out in list(moved):
        await session.execute(
            insert_for(session, OptOut)
            .values(
                customer_id=survivor_id,
                channel=opt_out.channel,
                withdrawn_at=opt_out.withdrawn_at,
                recorded_by=opt_out.recorded_by,
            )
            .on_conflict_do_nothing(index_elements=[OptOut.customer_id, OptOut.channel])
        )
    await session.execute(delete(OptOut).where(OptOut.customer_id == duplicate_id))
