"""The marketing plugin's tables: the product catalogue, customers' marketing
opt-outs, saved segments, campaigns and their memberships."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, SQLModel

from core.columns import MinorUnits, UTCDateTime, enum_column, utcnow
from core.reference_data import REFERENCE_TABLE

NAME_MAX = 100
TEXT_MAX = 2000


class ProductCategory(enum.StrEnum):
    DEPOSIT = "DEPOSIT"
    LOAN = "LOAN"
    WEALTH = "WEALTH"
    INSURANCE = "INSURANCE"
    CARD = "CARD"


class RiskLevel(enum.StrEnum):
    """A product's risk rating (产品风险等级), R1 lowest to R5 highest."""

    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"


class CampaignChannel(enum.StrEnum):
    SMS = "SMS"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    BRANCH = "BRANCH"
    APP = "APP"


class CampaignStatus(enum.StrEnum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


class MembershipStatus(enum.StrEnum):
    TARGETED = "TARGETED"
    CONTACTED = "CONTACTED"
    RESPONDED = "RESPONDED"
    CONVERTED = "CONVERTED"
    DECLINED = "DECLINED"


class MarketingProduct(SQLModel, table=True):
    """A product the bank markets: for whom (tiers, kinds), how risky, from
    how much, and when it is on sale. Empty ``eligible_tiers`` or
    ``eligible_kinds`` means every one."""

    __tablename__ = "marketing_product"
    __table_args__ = REFERENCE_TABLE

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=NAME_MAX)
    category: ProductCategory = Field(sa_type=enum_column(ProductCategory))
    risk_level: RiskLevel | None = Field(default=None, sa_type=enum_column(RiskLevel))
    minimum_amount: Decimal = Field(default=Decimal("0.00"), sa_type=MinorUnits())
    eligible_tiers: list[str] = Field(default_factory=list, sa_type=JSON)
    eligible_kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    sales_from: date | None = None
    sales_to: date | None = None
    active: bool = True


class OptOut(SQLModel, table=True):
    """A customer's withdrawn consent to marketing through one channel."""

    __tablename__ = "marketing_opt_out"

    customer_id: int = Field(foreign_key="customer_customer.id", primary_key=True)
    channel: CampaignChannel = Field(sa_type=enum_column(CampaignChannel), primary_key=True)
    withdrawn_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_by: int = Field(foreign_key="security_user.id", index=True)


class Segment(SQLModel, table=True):
    """A saved, named audience: a customer filter, evaluated in SQL when used."""

    __tablename__ = "marketing_segment"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX, unique=True)
    description: str | None = Field(default=None, max_length=TEXT_MAX)
    rules: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_by: int = Field(foreign_key="security_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Campaign(SQLModel, table=True):
    """A marketing campaign: its audience (a segment or an inline filter),
    channel, product and dates, from draft to completed."""

    __tablename__ = "marketing_campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX)
    status: CampaignStatus = Field(
        default=CampaignStatus.DRAFT, sa_type=enum_column(CampaignStatus), index=True
    )
    channel: CampaignChannel = Field(sa_type=enum_column(CampaignChannel))
    product_id: int | None = Field(default=None, foreign_key="marketing_product.id", index=True)
    segment_id: int | None = Field(default=None, foreign_key="marketing_segment.id", index=True)
    audience: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Decimal | None = Field(default=None, sa_type=MinorUnits())
    objective: str | None = Field(default=None, max_length=TEXT_MAX)
    message: str | None = Field(
        default=None,
        max_length=TEXT_MAX,
        description="The text sent to members by e-mail, SMS or app; the name is its subject.",
    )
    branch_id: int | None = Field(
        default=None,
        foreign_key="security_branch.id",
        index=True,
        description="The branch that runs it; None for head office.",
    )
    created_by: int = Field(foreign_key="security_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    launched_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Membership(SQLModel, table=True):
    """A customer in a campaign's audience, snapshotted at launch, and how far
    they have come."""

    __tablename__ = "marketing_membership"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "customer_id"),
        sa.Index("ix_marketing_membership_customer", "customer_id", "targeted_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="marketing_campaign.id")
    customer_id: int = Field(foreign_key="customer_customer.id")
    status: MembershipStatus = Field(
        default=MembershipStatus.TARGETED, sa_type=enum_column(MembershipStatus)
    )
    targeted_at: datetime = Field(sa_type=UTCDateTime)
    converted_amount: Decimal | None = Field(default=None, sa_type=MinorUnits())
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_by: int | None = Field(default=None, foreign_key="security_user.id", index=True)


class Response(SQLModel, table=True):
    """Each move of a membership: who recorded it, when, and what was said."""

    __tablename__ = "marketing_response"

    id: int | None = Field(default=None, primary_key=True)
    membership_id: int = Field(foreign_key="marketing_membership.id", index=True)
    status: MembershipStatus = Field(sa_type=enum_column(MembershipStatus))
    note: str | None = Field(default=None, max_length=TEXT_MAX)
    amount: Decimal | None = Field(default=None, sa_type=MinorUnits())
    recorded_by: int = Field(foreign_key="security_user.id", index=True)
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
