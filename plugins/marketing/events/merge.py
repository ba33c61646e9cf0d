"""Invitations across a merge of customers: the duplicate's invitations become
the survivor's; where both were invited to one event, one invitation stays,
the one that came further (attended over accepted over no-show over declined
over unanswered), with its follow-up."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from plugins.marketing.events.models import Invitation, InvitationStatus

PROGRESS = {
    InvitationStatus.INVITED: 0,
    InvitationStatus.DECLINED: 1,
    InvitationStatus.NO_SHOW: 2,
    InvitationStatus.ACCEPTED: 3,
    InvitationStatus.ATTENDED: 4,
}


async def move_invitations(session: AsyncSession, survivor_id: int, duplicate_id: int) -> None:
    kept = aliased(Invitation)
    doubled = await session.execute(
        select(Invitation, kept)
        .join(kept, kept.event_id == Invitation.event_id)
        .where(Invitation.customer_id == duplicate_id, kept.customer_id == survivor_id)
    )
    for duplicate, survivor in doubled:
        if PROGRESS[duplicate.status] > PROGRESS[survivor.status]:
            survivor.status, survivor.answered_at = duplicate.status, duplicate.answered_at
            survivor.follow_up_id = duplicate.follow_up_id or survivor.follow_up_id
            session.add(survivor)
        await session.delete(duplicate)
    await session.flush()
    await session.execute(
        update(Invitation)
        .where(Invitation.customer_id == duplicate_id)  # type: ignore[arg-type]
        .values(customer_id=survivor_id)
    )
