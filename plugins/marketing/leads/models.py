"""Leads (prospects who are not customers yet, and how far they have come)
and referrals of customers to specialist teams."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlmodel import Field, SQLModel

from core.columns import MinorUnits, UTCDateTime, enum_column, utcnow
from plugins.customer.models import CustomerKind
from plugins.marketing.models import NAME_MAX, TEXT_MAX


class LeadSource(enum.StrEnum):
    WALK_IN = "WALK_IN"
    REFERRAL = "REFERRAL"
    EVENT = "EVENT"
    CAMPAIGN = "CAMPAIGN"
    PARTNER = "PARTNER"


class LeadStage(enum.StrEnum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    QUALIFIED = "QUALIFIED"
    PROPOSAL = "PROPOSAL"
    WON = "WON"
    LOST = "LOST"


class Lead(SQLModel, table=True):
    """A prospect, owned by a member of staff of a branch. Name, phone and
    e-mail are personal data, masked like a customer's."""

    __tablename__ = "marketing_lead"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=NAME_MAX)
    kind: CustomerKind = Field(default=CustomerKind.INDIVIDUAL, sa_type=enum_column(CustomerKind))
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    source: LeadSource = Field(sa_type=enum_column(LeadSource))
    referred_by_customer_id: int | None = Field(
        default=None, foreign_key="customer_customer.id", index=True
    )
    event_id: int | None = Field(default=None, foreign_key="marketing_event.id", index=True)
    campaign_id: int | None = Field(default=None, foreign_key="marketing_campaign.id", index=True)
    partner: str | None = Field(default=None, max_length=NAME_MAX)
    product_id: int | None = Field(default=None, foreign_key="marketing_product.id", index=True)
    stage: LeadStage = Field(default=LeadStage.NEW, sa_type=enum_column(LeadStage), index=True)
    expected_amount: Decimal | None = Field(default=None, sa_type=MinorUnits())
    probability: int | None = Field(default=None, description="Per cent, 0 to 100.")
    owner_id: int = Field(foreign_key="security_user.id", index=True)
    branch_id: int = Field(foreign_key="security_branch.id", index=True)
    note: str | None = Field(default=None, max_length=TEXT_MAX)
    lost_reason: str | None = Field(default=None, max_length=TEXT_MAX)
    customer_id: int | None = Field(
        default=None,
        foreign_key="customer_customer.id",
        unique=True,
        description="The customer a won lead became.",
    )
    created_by: int = Field(foreign_key="security_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LeadStageChange(SQLModel, table=True):
    """Each move of a lead: from where, to where, who, when, why."""

    __tablename__ = "marketing_lead_stage_change"

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="marketing_lead.id", index=True)
    from_stage: LeadStage | None = Field(default=None, sa_type=enum_column(LeadStage))
    to_stage: LeadStage = Field(sa_type=enum_column(LeadStage))
    note: str | None = Field(default=None, max_length=TEXT_MAX)
    changed_by: int = Field(foreign_key="security_user.id", index=True)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SpecialistTeam(enum.StrEnum):
    WEALTH_ADVISORY = "WEALTH_ADVISORY"
    PRIVATE_BANKING = "PRIVATE_BANKING"
    INSURANCE = "INSURANCE"
    LENDING = "LENDING"
    CORPORATE = "CORPORATE"


class ReferralStatus(enum.StrEnum):
    """OPEN → ACCEPTED → WON or LOST; OPEN → DECLINED by the team."""

    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    WON = "WON"
    LOST = "LOST"


class Referral(SQLModel, table=True):
    """A customer referred by their manager to a specialist team, and the outcome."""

    __tablename__ = "marketing_referral"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer_customer.id", index=True)
    team: SpecialistTeam = Field(sa_type=enum_column(SpecialistTeam))
    reason: str = Field(max_length=TEXT_MAX)
    status: ReferralStatus = Field(
        default=ReferralStatus.OPEN, sa_type=enum_column(ReferralStatus), index=True
    )
    referred_by: int = Field(foreign_key="security_user.id", index=True)
    specialist_id: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    outcome: str | None = Field(default=None, max_length=TEXT_MAX)
    amount: Decimal | None = Field(default=None, sa_type=MinorUnits())
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
