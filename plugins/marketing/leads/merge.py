"""Referrals and leads across a merge of customers: the duplicate's referrals
become the survivor's, and so do the prospects it referred. A lead converted
into the duplicate keeps pointing at it: the closed duplicate points on to the
survivor, and a lead stays the record of whom it became."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.marketing.leads.models import Lead, Referral


async def move_referrals(session: AsyncSession, survivor_id: int, duplicate_id: int) -> None:
    await session.execute(
        update(Referral)
        .where(Referral.customer_id == duplicate_id)  # type: ignore[arg-type]
        .values(customer_id=survivor_id)
    )
    await session.execute(
        update(Lead)
        .where(Lead.referred_by_customer_id == duplicate_id)  # type: ignore[arg-type]
        .values(referred_by_customer_id=survivor_id)
    )
