"""The outbox: one message per campaign member on a channel the bank sends
through (e-mail, SMS, app), written in the launch's transaction and sent later
by the delivery worker."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.columns import UTCDateTime, enum_column, utcnow
from plugins.marketing.models import CampaignChannel

ERROR_MAX = 200
KEY_MAX = 64


class MessageStatus(enum.StrEnum):
    """PENDING → SENDING → SENT; back to PENDING (later) after a failure worth
    retrying; FAILED when the gateway refuses it for good or retries run out;
    SUPPRESSED when at sending time the customer has withdrawn consent or has
    no address on the channel."""

    PENDING = "PENDING"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    SUPPRESSED = "SUPPRESSED"


class OutboxMessage(SQLModel, table=True):
    """A message to one campaign member. It holds no personal data: the
    address is read from the customer when the message is sent."""

    __tablename__ = "marketing_outbox_message"
    __table_args__ = (
        sa.Index("ix_marketing_outbox_membership", "membership_id"),
        sa.Index("ix_marketing_outbox_due", "status", "next_attempt_at"),
        sa.Index("ix_marketing_outbox_campaign", "campaign_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(
        max_length=KEY_MAX,
        unique=True,
        description="Sent as Message-ID or Idempotency-Key: a gateway can drop a repeat.",
    )
    campaign_id: int = Field(foreign_key="marketing_campaign.id")
    membership_id: int = Field(foreign_key="marketing_membership.id")
    channel: CampaignChannel = Field(sa_type=enum_column(CampaignChannel))
    status: MessageStatus = Field(default=MessageStatus.PENDING, sa_type=enum_column(MessageStatus))
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=ERROR_MAX)
    gateway_reference: str | None = Field(default=None, max_length=ERROR_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
