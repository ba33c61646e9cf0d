"""The customer plugin's tables: the customer master and what hangs off it."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.columns import MinorUnits, UTCDateTime, enum_column, utcnow
from plugins.customer.identity import Gender

NAME_MAX = 100
TEXT_MAX = 2000
TAG_MAX = 32


class CustomerKind(enum.StrEnum):
    INDIVIDUAL = "INDIVIDUAL"
    CORPORATE = "CORPORATE"


class CustomerTier(enum.StrEnum):
    """Service tier from assets under management; the order is the tiers' rank."""

    MASS = "MASS"
    AFFLUENT = "AFFLUENT"
    WEALTH = "WEALTH"
    PRIVATE = "PRIVATE"


class RiskProfile(enum.StrEnum):
    """The customer's assessed risk tolerance (风险承受能力), C1 conservative to C5 aggressive."""

    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"


class CustomerStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"


class Customer(SQLModel, table=True):
    """A customer of the bank: a person or a company. Closed customers stay, for history."""

    __tablename__ = "customer_customer"

    id: int | None = Field(default=None, primary_key=True)
    customer_no: str = Field(max_length=16, unique=True)
    kind: CustomerKind = Field(sa_type=enum_column(CustomerKind))
    name: str = Field(max_length=NAME_MAX, index=True)
    id_number: str = Field(max_length=18, unique=True)
    birth_date: date | None = None
    gender: Gender | None = Field(default=None, sa_type=enum_column(Gender))
    phone: str | None = Field(default=None, max_length=11, index=True)
    email: str | None = Field(default=None, max_length=254)
    branch_id: int = Field(foreign_key="security_branch.id", index=True)
    relationship_manager_id: int | None = Field(
        default=None, foreign_key="security_user.id", index=True
    )
    tier: CustomerTier = Field(default=CustomerTier.MASS, sa_type=enum_column(CustomerTier))
    risk_profile: RiskProfile | None = Field(default=None, sa_type=enum_column(RiskProfile))
    risk_assessed_on: date | None = None
    status: CustomerStatus = Field(
        default=CustomerStatus.ACTIVE, sa_type=enum_column(CustomerStatus), index=True
    )
    merged_into_id: int | None = Field(default=None, foreign_key="customer_customer.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_reason: str | None = Field(default=None, max_length=500)


class CustomerTag(SQLModel, table=True):
    """A free label on a customer (``高净值``, ``企业主``), used to find and segment them."""

    __tablename__ = "customer_tag"

    customer_id: int = Field(foreign_key="customer_customer.id", primary_key=True)
    tag: str = Field(max_length=TAG_MAX, primary_key=True, index=True)


class TierChange(SQLModel, table=True):
    """Each time a customer's tier moved, and on what assets. ``business_date``
    is the date the change counts on: the date whose close moved it, or the
    open date for a recomputation during the day (reports of past dates read
    the tier a customer had then from here)."""

    __tablename__ = "customer_tier_change"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer_customer.id", index=True)
    from_tier: CustomerTier = Field(sa_type=enum_column(CustomerTier))
    to_tier: CustomerTier = Field(sa_type=enum_column(CustomerTier))
    assets: Decimal = Field(sa_type=MinorUnits(), description="Assets under management, CNY.")
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    business_date: date


class ManagerAssignment(SQLModel, table=True):
    """Each assignment of a relationship manager to a customer (客户经理制), kept for good."""

    __tablename__ = "customer_manager_assignment"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer_customer.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    previous_manager_id: int | None = Field(
        default=None, foreign_key="security_user.id", index=True
    )
    reason: str = Field(max_length=TEXT_MAX)
    assigned_by_id: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    assigned_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CustomerShare(SQLModel, table=True):
    """A customer shared with a colleague for a while (协作共享); scope honours it."""

    __tablename__ = "customer_share"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer_customer.id", index=True)
    shared_with_id: int = Field(foreign_key="security_user.id", index=True)
    shared_by_id: int = Field(foreign_key="security_user.id", index=True)
    reason: str = Field(max_length=TEXT_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BranchPolicy(SQLModel, table=True):
    """How a branch looks after its new customers."""

    __tablename__ = "customer_branch_policy"

    branch_id: int = Field(foreign_key="security_branch.id", primary_key=True)
    auto_assign_managers: bool = False


class RelationshipKind(enum.StrEnum):
    """What the related customer is to the customer (``B is A's SPOUSE``)."""

    SPOUSE = "SPOUSE"
    PARENT = "PARENT"
    CHILD = "CHILD"
    LEGAL_REPRESENTATIVE = "LEGAL_REPRESENTATIVE"
    REPRESENTED_COMPANY = "REPRESENTED_COMPANY"
    SHAREHOLDER = "SHAREHOLDER"
    INVESTEE = "INVESTEE"
    EMPLOYEE = "EMPLOYEE"
    EMPLOYER = "EMPLOYER"
    GUARANTOR = "GUARANTOR"
    GUARANTEED_PARTY = "GUARANTEED_PARTY"


class Relationship(SQLModel, table=True):
    """One link between two customers, stored once and read from either side."""

    __tablename__ = "customer_relationship"
    __table_args__ = (sa.UniqueConstraint("customer_id", "related_customer_id"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer_customer.id")
    related_customer_id: int = Field(foreign_key="customer_customer.id", index=True)
    kind: RelationshipKind = Field(sa_type=enum_column(RelationshipKind))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactChannel(enum.StrEnum):
    CALL = "CALL"
    VISIT = "VISIT"
    MEETING = "MEETING"
    EMAIL = "EMAIL"
    SMS = "SMS"
    WECHAT = "WECHAT"


class ContactDirection(enum.StrEnum):
    INBOUND = "INBOUND"
    OUTBOUND = "OUTBOUND"


class Interaction(SQLModel, table=True):
    """A contact with the customer (沟通记录): who, when, how, and what was said."""

    __tablename__ = "customer_interaction"
    __table_args__ = (sa.Index("ix_customer_interaction_timeline", "customer_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer_customer.id")
    channel: ContactChannel = Field(sa_type=enum_column(ContactChannel))
    direction: ContactDirection = Field(sa_type=enum_column(ContactDirection))
    summary: str = Field(max_length=TEXT_MAX)
    staff_id: int = Field(foreign_key="security_user.id", index=True)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FollowUpStatus(enum.StrEnum):
    OPEN = "OPEN"
    DONE = "DONE"
    CANCELLED = "CANCELLED"


class FollowUp(SQLModel, table=True):
    """Something a member of staff must do for a customer by a date (引导跟进)."""

    __tablename__ = "customer_follow_up"
    __table_args__ = (sa.Index("ix_customer_follow_up_work", "assignee_id", "status", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer_customer.id", index=True)
    assignee_id: int = Field(foreign_key="security_user.id")
    title: str = Field(max_length=200)
    due_on: date
    status: FollowUpStatus = Field(default=FollowUpStatus.OPEN, sa_type=enum_column(FollowUpStatus))
    created_by_id: int = Field(foreign_key="security_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closing_note: str | None = Field(default=None, max_length=TEXT_MAX)
