"""Queuing a campaign's messages: one per member, in the launch's transaction,
so a launch and its messages are committed (or rolled back) together."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, String, case, cast, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import UTCDateTime, utcnow
from plugins.marketing.delivery.models import MessageStatus, OutboxMessage
from plugins.marketing.models import Campaign, CampaignChannel, Membership

SENT_CHANNELS = frozenset({CampaignChannel.EMAIL, CampaignChannel.SMS, CampaignChannel.APP})
"""Channels the bank sends through; PHONE and BRANCH contacts are made by staff."""


def message_key(campaign_id: int, membership_id: ColumnElement[int]) -> ColumnElement[str]:
    """The message's stable key: the same message carries the same key however
    often it is tried, so the gateway can drop a repeat."""
    return literal(f"crm-c{campaign_id}-m") + cast(membership_id, String)


async def queue_messages(session: AsyncSession, campaign: Campaign) -> int:
    """Queue a message to every member of ``campaign`` on a channel the bank
    sends through; returns how many were queued."""
    if campaign.channel not in SENT_CHANNELS:
        return 0
    now = utcnow()
    members = select(
        message_key(campaign.id, Membership.id),  # type: ignore[arg-type]
        literal(campaign.id, Integer),
        Membership.id,
        literal(campaign.channel.value, String),
        literal(MessageStatus.PENDING.value, String),
        literal(0, Integer),
        literal(now, UTCDateTime),
        literal(now, UTCDateTime),
    ).where(Membership.campaign_id == campaign.id)
    columns = [
        "key",
        "campaign_id",
        "membership_id",
        "channel",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ]
    queued = await session.execute(insert(OutboxMessage).from_select(columns, members))
    return queued.rowcount  # type: ignore[attr-defined,no-any-return]


async def merge_messages(session: AsyncSession, duplicate_id: int, survivor_id: int) -> None:
    """When two members of one campaign turn out to be one customer, the
    merged-away membership's messages stay as the survivor's history, and
    those not sent yet never are: the survivor has the campaign's own."""
    unsent = OutboxMessage.status == MessageStatus.PENDING
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.membership_id == duplicate_id)
        .values(
            membership_id=survivor_id,
            status=case((unsent, MessageStatus.SUPPRESSED.value), else_=OutboxMessage.status),
            last_error=case((unsent, "CUSTOMER_MERGED"), else_=OutboxMessage.last_error),
        )
    )
