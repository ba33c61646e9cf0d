"""Marketing consent: a customer may withdraw it for any channel, and every
campaign honours that, at launch and whenever a contact is recorded."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.db import insert_for
from plugins.customer.models import Customer
from plugins.marketing.models import CampaignChannel, OptOut


def opted_out(channel: CampaignChannel) -> ColumnElement[bool]:
    """A WHERE clause: the ``Customer`` row has withdrawn consent for ``channel``."""
    return exists().where(OptOut.customer_id == Customer.id, OptOut.channel == channel)


async def has_opted_out(session: AsyncSession, customer_id: int, channel: CampaignChannel) -> bool:
    found = await session.scalar(
        select(OptOut.customer_id).where(
            OptOut.customer_id == customer_id, OptOut.channel == channel
        )
    )
    return found is not None


async def withdraw_consent(
    session: AsyncSession, by: Principal, customer: Customer, channels: list[CampaignChannel]
) -> None:
    for channel in channels:
        await session.execute(
            insert_for(session, OptOut)
            .values(customer_id=customer.id, channel=channel, recorded_by=by.user_id)
            .on_conflict_do_nothing(index_elements=[OptOut.customer_id, OptOut.channel])
        )


async def restore_consent(
    session: AsyncSession, customer: Customer, channels: list[CampaignChannel]
) -> None:
    await session.execute(
        delete(OptOut).where(
            OptOut.customer_id == customer.id,
            OptOut.channel.in_(channels),  # type: ignore[attr-defined]
        )
    )


async def opted_out_channels(session: AsyncSession, customer_id: int) -> list[CampaignChannel]:
    rows = await session.scalars(
        select(OptOut.channel).where(OptOut.customer_id == customer_id).order_by(OptOut.channel)
    )
    return list(rows)
