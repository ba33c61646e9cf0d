"""The service plugin's tables: tickets and what happens to them, the SLA
matrix, the bank's service calendar, complaints and satisfaction surveys.

Deadlines are stored as instants (UTC); they are computed in business time of
the bank's calendar (``plugins.service.calendar``) when a ticket is opened and
moved on when it comes back from waiting for the customer.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.columns import MinorUnits, UTCDateTime, enum_column, utcnow
from core.reference_data import REFERENCE_TABLE
from plugins.customer.models import CustomerTier

SUBJECT_MAX = 200
TEXT_MAX = 4000
REFERENCE_MAX = 40


class TicketKind(enum.StrEnum):
    CONSULTATION = "CONSULTATION"
    AFTER_SALES = "AFTER_SALES"
    COMPLAINT = "COMPLAINT"
    REQUEST = "REQUEST"


class TicketStatus(enum.StrEnum):
    OPEN = "OPEN"
    IN_PROGRESS = "IN_PROGRESS"
    PENDING_CUSTOMER = "PENDING_CUSTOMER"
    RESOLVED = "RESOLVED"
    CLOSED = "CLOSED"


class TicketPriority(enum.StrEnum):
    LOW = "LOW"
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"


class TicketChannel(enum.StrEnum):
    BRANCH_COUNTER = "BRANCH_COUNTER"
    PHONE = "PHONE"
    APP = "APP"
    EMAIL = "EMAIL"
    SOCIAL_MEDIA = "SOCIAL_MEDIA"


class Deadline(enum.StrEnum):
    FIRST_RESPONSE = "FIRST_RESPONSE"
    RESOLUTION = "RESOLUTION"


class EscalationLevel(enum.StrEnum):
    AT_RISK = "AT_RISK"
    """The deadline is close."""
    BREACHED = "BREACHED"


class RootCause(enum.StrEnum):
    """Why a complaint arose, in the categories regulators ask banks to report."""

    PRODUCT = "PRODUCT"
    SERVICE_ATTITUDE = "SERVICE_ATTITUDE"
    PROCESS = "PROCESS"
    SYSTEM_FAILURE = "SYSTEM_FAILURE"
    FEES = "FEES"
    MIS_SELLING = "MIS_SELLING"
    OTHER = "OTHER"


class Ticket(SQLModel, table=True):
    """A consultation, after-sales request, complaint or request of a customer.

    ``queue_branch_id`` is the team queue it waits in (the customer's branch
    unless moved); ``assignee_id`` the agent working it, if any. While
    PENDING_CUSTOMER, ``paused_at`` says since when the SLA clock stopped.
    """

    __tablename__ = "service_ticket"
    __table_args__ = (
        sa.Index("ix_service_ticket_customer", "customer_id", "status"),
        sa.Index("ix_service_ticket_queue", "queue_branch_id", "status"),
        sa.Index("ix_service_ticket_created", "created_at"),
        sa.Index("ix_service_ticket_status", "status", "id"),
        sa.Index("ix_service_ticket_resolved", "resolved_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ticket_no: str = Field(max_length=16, unique=True)
    customer_id: int = Field(foreign_key="customer_customer.id")
    kind: TicketKind = Field(sa_type=enum_column(TicketKind))
    channel: TicketChannel = Field(sa_type=enum_column(TicketChannel))
    priority: TicketPriority = Field(sa_type=enum_column(TicketPriority))
    status: TicketStatus = Field(default=TicketStatus.OPEN, sa_type=enum_column(TicketStatus))
    subject: str = Field(max_length=SUBJECT_MAX)
    description: str = Field(max_length=TEXT_MAX)
    account_no: str | None = Field(default=None, max_length=REFERENCE_MAX)
    transaction_reference: str | None = Field(default=None, max_length=REFERENCE_MAX)
    queue_branch_id: int = Field(foreign_key="security_branch.id")
    assignee_id: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    tier: CustomerTier = Field(
        sa_type=enum_column(CustomerTier), description="The customer's tier when it was opened."
    )
    response_due_at: datetime = Field(sa_type=UTCDateTime)
    resolution_due_at: datetime = Field(sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    waited_minutes: int = Field(
        default=0, description="Business minutes spent waiting for the customer, in all."
    )
    first_responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolution: str | None = Field(default=None, max_length=TEXT_MAX)
    created_by: int = Field(foreign_key="security_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketComment(SQLModel, table=True):
    """A comment on a ticket: internal, or visible to the customer."""

    __tablename__ = "service_ticket_comment"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="service_ticket.id", index=True)
    body: str = Field(max_length=TEXT_MAX)
    internal: bool = True
    written_by: int = Field(foreign_key="security_user.id", index=True)
    written_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TicketTransition(SQLModel, table=True):
    """Each move of a ticket from one status to another, who made it and why."""

    __tablename__ = "service_ticket_transition"

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="service_ticket.id", index=True)
    from_status: TicketStatus = Field(sa_type=enum_column(TicketStatus))
    to_status: TicketStatus = Field(sa_type=enum_column(TicketStatus))
    comment: str | None = Field(default=None, max_length=TEXT_MAX)
    made_by: int = Field(foreign_key="security_user.id", index=True)
    made_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Escalation(SQLModel, table=True):
    """A deadline of a ticket at risk or breached, raised to the people named."""

    __tablename__ = "service_escalation"
    __table_args__ = (sa.UniqueConstraint("ticket_id", "deadline", "level", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="service_ticket.id")
    deadline: Deadline = Field(sa_type=enum_column(Deadline))
    level: EscalationLevel = Field(sa_type=enum_column(EscalationLevel))
    due_at: datetime = Field(sa_type=UTCDateTime, description="The deadline as it stood.")
    branch_manager_ids: str = Field(max_length=200, description="Comma-separated user ids.")
    relationship_manager_id: int | None = Field(
        default=None, foreign_key="security_user.id", index=True
    )
    escalated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Complaint(SQLModel, table=True):
    """What a COMPLAINT ticket adds: its root cause, any compensation granted,
    and the dates regulators ask for (received through the ticket's channel)."""

    __tablename__ = "service_complaint"

    ticket_id: int = Field(foreign_key="service_ticket.id", primary_key=True)
    root_cause: RootCause | None = Field(default=None, sa_type=enum_column(RootCause))
    compensation: Decimal | None = Field(default=None, sa_type=MinorUnits())
    compensation_note: str | None = Field(default=None, max_length=TEXT_MAX)
    compensation_granted_by: int | None = Field(
        default=None, foreign_key="security_user.id", index=True
    )
    received_on: date
    acknowledged_on: date | None = None
    closed_on: date | None = None


class Survey(SQLModel, table=True):
    """The customer's satisfaction with a closed ticket."""

    __tablename__ = "service_survey"

    ticket_id: int = Field(foreign_key="service_ticket.id", primary_key=True)
    satisfaction: int = Field(description="1 (very unhappy) to 5 (very happy).")
    recommend: int = Field(description="0 to 10: how likely to recommend the bank.")
    comment: str | None = Field(default=None, max_length=TEXT_MAX)
    recorded_by: int = Field(foreign_key="security_user.id", index=True)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SlaPolicy(SQLModel, table=True):
    """The SLA matrix: business minutes to first response and to resolution,
    by kind, priority and customer tier."""

    __tablename__ = "service_sla_policy"
    __table_args__ = REFERENCE_TABLE

    kind: TicketKind = Field(sa_type=enum_column(TicketKind), primary_key=True)
    priority: TicketPriority = Field(sa_type=enum_column(TicketPriority), primary_key=True)
    tier: CustomerTier = Field(sa_type=enum_column(CustomerTier), primary_key=True)
    response_minutes: int
    resolution_minutes: int


class CalendarDay(SQLModel, table=True):
    """An exception to the working week: a holiday on a weekday, or a weekend
    day worked instead (调休)."""

    __tablename__ = "service_calendar_day"

    day: date = Field(primary_key=True)
    working: bool
    name: str = Field(max_length=100)
