"""Campaigns: planned as drafts, scheduled, launched, completed or cancelled.

Launching snapshots the audience into memberships in one INSERT ... SELECT:
the active customers the audience selects, within the launcher's data scope,
less those who withdrew consent to the campaign's channel, those another
campaign targeted within the frequency cap, and (with a product) those the
product does not suit. Responses then move each membership forward:
TARGETED → CONTACTED → RESPONDED → CONVERTED or DECLINED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, exists, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import UTCDateTime, utcnow
from core.errors import BusinessError
from core.money import checked_amount
from core.plugins import PluginRegistry
from core.row_lock import locked_row
from core.validation import clean_text
from plugins.customer.models import Customer
from plugins.marketing.audience import audience_of
from plugins.marketing.consent import has_opted_out, opted_out
from plugins.marketing.criteria import Calendar
from plugins.marketing.delivery.outbox import queue_messages
from plugins.marketing.models import (
    NAME_MAX,
    TEXT_MAX,
    Campaign,
    CampaignChannel,
    CampaignStatus,
    MarketingProduct,
    Membership,
    MembershipStatus,
    Response,
    Segment,
)
from plugins.marketing.products import product_by_code
from plugins.marketing.settings import marketing_settings
from plugins.marketing.suitability import off_sale, suitable_customers, unsuitability

S = CampaignStatus
MOVES: dict[CampaignStatus, frozenset[CampaignStatus]] = {
    S.DRAFT: frozenset({S.SCHEDULED, S.RUNNING, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.COMPLETED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
M = MembershipStatus
STAGE = {M.TARGETED: 0, M.CONTACTED: 1, M.RESPONDED: 2, M.CONVERTED: 3, M.DECLINED: 3}
"""Memberships only move forward; CONVERTED and DECLINED are final."""
CONTACTING = frozenset({M.CONTACTED, M.RESPONDED, M.CONVERTED})


@dataclass(frozen=True)
class Plan:
    name: str
    channel: CampaignChannel
    starts_on: date | None = None
    ends_on: date | None = None
    audience: dict[str, Any] | None = None
    segment_id: int | None = None
    product_code: str | None = None
    budget: Decimal | None = None
    objective: str | None = None
    message: str | None = None


async def create_campaign(session: AsyncSession, by: Principal, plan: Plan) -> Campaign:
    if plan.starts_on and plan.ends_on and plan.ends_on < plan.starts_on:
        raise BusinessError(
            "INVALID_PERIOD", "The campaign ends before it starts.", ["input", "endsOn"]
        )
    if plan.segment_id is not None and await session.get(Segment, plan.segment_id) is None:
        raise BusinessError("NOT_FOUND", "There is no such segment.", ["input", "segmentId"])
    product = None
    if plan.product_code is not None:
        product = await product_by_code(session, plan.product_code)
        if product is None:
            raise BusinessError("NOT_FOUND", "There is no such product.", ["input", "productCode"])
    campaign = Campaign(
        name=clean_text(plan.name, field=["input", "name"], max_length=NAME_MAX),
        channel=plan.channel,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        audience=plan.audience,
        segment_id=plan.segment_id,
        product_id=product.id if product is not None else None,
        budget=checked_amount(plan.budget, ["input", "budget"]) if plan.budget else None,
        objective=clean_text(
            plan.objective or "", field=["input", "objective"], max_length=TEXT_MAX, required=False
        )
        or None,
        message=clean_text(
            plan.message or "", field=["input", "message"], max_length=TEXT_MAX, required=False
        )
        or None,
        branch_id=by.branch_id,
        created_by=by.user_id,
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def campaign_for_update(
    session: AsyncSession, by: Principal, campaign_id: int | None
) -> Campaign:
    """The campaign, locked, if ``by`` runs it: head office runs every one, a
    branch its own."""
    campaign = await locked_row(session, Campaign, campaign_id)
    if campaign is None or (by.branch_id is not None and campaign.branch_id != by.branch_id):
        raise BusinessError(
            "CAMPAIGN_NOT_FOUND", "There is no such campaign.", ["input", "campaignId"]
        )
    return campaign


def _check_move(campaign: Campaign, to: CampaignStatus) -> None:
    if to not in MOVES[campaign.status]:
        raise BusinessError(
            "ILLEGAL_TRANSITION",
            f"A campaign cannot go from {campaign.status.value} to {to.value}.",
            ["input", "campaignId"],
        )


def _move(campaign: Campaign, to: CampaignStatus) -> None:
    """Make a move already checked with :func:`_check_move`."""
    campaign.status = to
    if to in (S.COMPLETED, S.CANCELLED):
        campaign.ended_at = utcnow()


async def move_campaign(
    session: AsyncSession, by: Principal, campaign_id: int | None, to: CampaignStatus
) -> Campaign:
    """Schedule, complete or cancel a campaign (launching is :func:`launch_campaign`)."""
    campaign = await campaign_for_update(session, by, campaign_id)
    if to is S.RUNNING:
        raise BusinessError(
            "ILLEGAL_TRANSITION", "A campaign starts running by being launched.", ["input"]
        )
    _check_move(campaign, to)
    if to is S.SCHEDULED and (
        campaign.starts_on is None or await _rules(session, campaign) is None
    ):
        raise BusinessError(
            "AUDIENCE_REQUIRED",
            "Only a campaign with an audience and a start date can be scheduled.",
            ["input", "campaignId"],
        )
    _move(campaign, to)
    session.add(campaign)
    await session.flush()
    return campaign


async def _rules(session: AsyncSession, campaign: Campaign) -> dict[str, Any] | None:
    if campaign.segment_id is not None:
        return (await session.get_one(Segment, campaign.segment_id)).rules
    return campaign.audience


async def launch_campaign(
    session: AsyncSession,
    plugins: PluginRegistry,
    by: Principal,
    campaign_id: int | None,
    today: date,
    *,
    zone: ZoneInfo,
) -> Campaign:
    """``today`` and ``zone`` are the bank's (the audience's ages and dates are counted in them)."""
    campaign = await campaign_for_update(session, by, campaign_id)
    _check_move(campaign, S.RUNNING)
    rules = await _rules(session, campaign)
    if rules is None:
        raise BusinessError(
            "AUDIENCE_REQUIRED", "Give the campaign a segment or an audience.", ["input"]
        )
    if (campaign.starts_on and today < campaign.starts_on) or (
        campaign.ends_on and today > campaign.ends_on
    ):
        raise BusinessError(
            "OUTSIDE_CAMPAIGN_DATES",
            "A campaign is launched between its start and end dates.",
            ["input", "campaignId"],
        )
    product = (
        await session.get_one(MarketingProduct, campaign.product_id)
        if campaign.product_id is not None
        else None
    )
    if product is not None and (problem := off_sale(product, today)) is not None:
        raise problem
    _move(campaign, S.RUNNING)
    now = utcnow()
    cutoff = now - timedelta(days=marketing_settings().campaign_frequency_cap_days)
    recently_targeted = exists().where(
        Membership.customer_id == Customer.id,
        Membership.campaign_id != campaign.id,
        Membership.targeted_at >= cutoff,
    )
    audience = (
        select(
            literal(campaign.id, Integer),
            Customer.id,
            literal(M.TARGETED.value, String),
            literal(now, UTCDateTime),
        )
        .where(
            Customer.id.in_(  # type: ignore[union-attr]
                audience_of(rules, by, plugins, campaign.branch_id, calendar=Calendar(today, zone))
            ),
            suitable_customers(product, today),
            ~opted_out(campaign.channel),
            ~recently_targeted,
        )
        .order_by(Customer.id)
    )
    added = await session.execute(
        insert(Membership).from_select(
            ["campaign_id", "customer_id", "status", "targeted_at"], audience
        )
    )
    if not added.rowcount:  # type: ignore[attr-defined]
        raise BusinessError(
            "EMPTY_AUDIENCE",
            "Nobody in the audience may be targeted now (consent, frequency cap, suitability).",
            ["input", "campaignId"],
        )
    campaign.launched_at = now
    session.add(campaign)
    await session.flush()
    await queue_messages(session, campaign)
    return campaign


@dataclass(frozen=True)
class Answer:
    status: MembershipStatus
    note: str | None = None
    amount: Decimal | None = None


async def record_response(
    session: AsyncSession,
    by: Principal,
    campaign_id: int | None,
    customer: Customer,
    answer: Answer,
    today: date,
) -> Campaign:
    """Move the customer's membership on (``customer`` already checked to be
    in the caller's scope)."""
    campaign = await session.get(Campaign, campaign_id) if campaign_id is not None else None
    if campaign is None:
        raise BusinessError(
            "CAMPAIGN_NOT_FOUND", "There is no such campaign.", ["input", "campaignId"]
        )
    if campaign.status is not S.RUNNING:
        raise BusinessError(
            "CAMPAIGN_NOT_RUNNING", "Responses are recorded while a campaign runs.", ["input"]
        )
    membership = await session.scalar(
        select(Membership)
        .where(Membership.campaign_id == campaign.id, Membership.customer_id == customer.id)
        .with_for_update()
    )
    if membership is None:
        raise BusinessError(
            "NOT_A_MEMBER", "The customer is not in the campaign.", ["input", "customerId"]
        )
    if (
        membership.status in (M.CONVERTED, M.DECLINED)
        or STAGE[answer.status] <= STAGE[membership.status]
    ):
        raise BusinessError(
            "ILLEGAL_TRANSITION",
            f"A membership cannot go from {membership.status.value} to {answer.status.value}.",
            ["input", "status"],
        )
    if answer.status in CONTACTING and await has_opted_out(session, customer.id, campaign.channel):  # type: ignore[arg-type]
        raise BusinessError(
            "CONSENT_WITHDRAWN",
            f"The customer has withdrawn consent to marketing by {campaign.channel.value}.",
            ["input", "customerId"],
        )
    amount = await _sale(session, campaign, customer, answer, today)
    membership.status = answer.status
    membership.converted_amount = amount
    membership.updated_at, membership.updated_by = utcnow(), by.user_id
    session.add(membership)
    session.add(
        Response(
            membership_id=membership.id,  # type: ignore[arg-type]
            status=answer.status,
            note=clean_text(
                answer.note or "", field=["input", "note"], max_length=TEXT_MAX, required=False
            )
            or None,
            amount=amount,
            recorded_by=by.user_id,
        )
    )
    await session.flush()
    return campaign


async def _sale(
    session: AsyncSession, campaign: Campaign, customer: Customer, answer: Answer, today: date
) -> Decimal | None:
    """The amount sold on a conversion, checked: the product must suit the
    customer today (a sale is where suitability matters most) and the amount
    reach the product's minimum."""
    if answer.status is not M.CONVERTED:
        if answer.amount is not None:
            raise BusinessError(
                "AMOUNT_NOT_EXPECTED", "Only a conversion records an amount.", ["input", "amount"]
            )
        return None
    amount = (
        checked_amount(answer.amount, ["input", "amount"]) if answer.amount is not None else None
    )
    if campaign.product_id is None:
        return amount
    product = await session.get_one(MarketingProduct, campaign.product_id)
    if (problem := unsuitability(customer, product, today)) is not None:
        raise problem
    if amount is not None and amount < product.minimum_amount:
        raise BusinessError(
            "BELOW_MINIMUM_AMOUNT",
            f"{product.name} starts at {product.minimum_amount} CNY.",
            ["input", "amount"],
        )
    return amount
