"""Marketing events and who is invited to them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.columns import UTCDateTime, enum_column, utcnow
from plugins.marketing.models import NAME_MAX, TEXT_MAX


class EventKind(enum.StrEnum):
    WEALTH_SEMINAR = "WEALTH_SEMINAR"
    VIP_SALON = "VIP_SALON"


class EventStatus(enum.StrEnum):
    """PLANNED → HELD (attendance recorded, follow-ups made) or CANCELLED."""

    PLANNED = "PLANNED"
    HELD = "HELD"
    CANCELLED = "CANCELLED"


class InvitationStatus(enum.StrEnum):
    """INVITED → ACCEPTED or DECLINED; at the event, ATTENDED or NO_SHOW."""

    INVITED = "INVITED"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    ATTENDED = "ATTENDED"
    NO_SHOW = "NO_SHOW"


class MarketingEvent(SQLModel, table=True):
    """A seminar or salon: when, where, for how many, run by which branch."""

    __tablename__ = "marketing_event"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX)
    kind: EventKind = Field(sa_type=enum_column(EventKind))
    status: EventStatus = Field(default=EventStatus.PLANNED, sa_type=enum_column(EventStatus))
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    venue: str = Field(max_length=NAME_MAX)
    capacity: int
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    branch_id: int | None = Field(
        default=None,
        foreign_key="security_branch.id",
        index=True,
        description="The branch that runs it; None for head office.",
    )
    created_by: int = Field(foreign_key="security_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Invitation(SQLModel, table=True):
    """A customer invited to an event, their answer and whether they came."""

    __tablename__ = "marketing_invitation"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "customer_id"),
        sa.Index("ix_marketing_invitation_customer", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="marketing_event.id")
    customer_id: int = Field(foreign_key="customer_customer.id")
    status: InvitationStatus = Field(
        default=InvitationStatus.INVITED, sa_type=enum_column(InvitationStatus)
    )
    invited_at: datetime = Field(sa_type=UTCDateTime)
    invited_by: int = Field(foreign_key="security_user.id", index=True)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    follow_up_id: int | None = Field(
        default=None,
        foreign_key="customer_follow_up.id",
        index=True,
        description="The task given to the attendee's manager after the event.",
    )
