"""Segments, campaigns, memberships and marketing consent in GraphQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from sqlalchemy import func, select
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, extends, int_ids, model_type_check, mutation, node_id, query
from core.money import Money
from core.pagination import CountedConnection, count, keyset_page
from plugins.customer.api.customers import (
    Customer,
    CustomerConnection,
    CustomerEdge,
    CustomerFilter,
    customer_in_scope,
)
from plugins.customer.models import Customer as CustomerRow
from plugins.marketing import loaders, models
from plugins.marketing.api.delivery import CampaignDelivery
from plugins.marketing.api.products import Product
from plugins.marketing.api.segment_rules import SegmentRules, audience_json
from plugins.marketing.audience import audience_of, checked_audience
from plugins.marketing.campaigns import (
    Answer,
    Plan,
    create_campaign,
    launch_campaign,
    move_campaign,
    record_response,
)
from plugins.marketing.consent import restore_consent, withdraw_consent
from plugins.marketing.criteria import Calendar
from plugins.marketing.delivery.loaders import message_counts
from plugins.marketing.models import CampaignChannel, CampaignStatus, MembershipStatus
from plugins.marketing.permissions import (
    CAMPAIGN_MANAGE,
    CAMPAIGN_RESPOND,
    CONSENT_MANAGE,
    MARKETING_READ,
)
from plugins.marketing.segments import save_segment

strawberry.enum(CampaignChannel)
strawberry.enum(CampaignStatus)
strawberry.enum(MembershipStatus)


@strawberry.type(description="A saved, named audience, evaluated when used.")
class Segment(relay.Node):
    id: relay.NodeID[int]
    name: str
    description: str | None
    created_at: datetime

    is_type_of = model_type_check(models.Segment)

    @strawberry.field(description="How many active customers in your scope it selects now.")
    async def size(self, root: strawberry.Parent[models.Segment], info: Info) -> int:
        context: Context = info.context
        audience = audience_of(
            root.rules,
            context.user,
            context.runtime.plugins,
            calendar=Calendar.of(context.runtime.settings),
        )
        return await count(context.session, audience)

    @strawberry.field(description="The customers in your scope it selects now, by id.")
    async def members(
        self,
        root: strawberry.Parent[models.Segment],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> CustomerConnection:
        context: Context = info.context
        audience = audience_of(
            root.rules,
            context.user,
            context.runtime.plugins,
            calendar=Calendar.of(context.runtime.settings),
        )
        statement = select(CustomerRow).where(CustomerRow.id.in_(audience))  # type: ignore[union-attr]
        page = await keyset_page(
            context.session,
            statement,
            CustomerRow.id,  # type: ignore[arg-type]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
        )
        return CustomerConnection(
            edges=page.edges(CustomerEdge),
            page_info=page.page_info,
            counted=statement,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Segment | None]:
        if not info.context.user.can(MARKETING_READ):
            return [None for _ in node_ids]
        return await info.context.loader(loaders.segments_by_id).load_many(int_ids(node_ids))


@strawberry.type(description="A marketing campaign, from draft to completed.")
class Campaign(relay.Node):
    id: relay.NodeID[int]
    name: str
    status: CampaignStatus
    channel: CampaignChannel
    starts_on: date | None
    ends_on: date | None
    objective: str | None
    message: str | None
    launched_at: datetime | None

    is_type_of = model_type_check(models.Campaign)

    @strawberry.field(description="Customers targeted at launch.")
    async def member_count(self, root: strawberry.Parent[models.Campaign], info: Info) -> int:
        return await info.context.loader(loaders.member_counts).load(root.id)

    @strawberry.field(description="Its messages' progress (e-mail, SMS and app campaigns).")
    async def delivery(
        self, root: strawberry.Parent[models.Campaign], info: Info
    ) -> CampaignDelivery:
        return CampaignDelivery(counts=await info.context.loader(message_counts).load(root.id))

    @strawberry.field
    def budget(self, root: strawberry.Parent[models.Campaign]) -> Money | None:
        return None if root.budget is None else Money(amount=root.budget, currency="CNY")

    @strawberry.field
    async def product(self, root: strawberry.Parent[models.Campaign], info: Info) -> Product | None:
        if root.product_id is None:
            return None
        return await info.context.loader(loaders.products_by_id).load(root.product_id)  # type: ignore[return-value]

    @strawberry.field
    async def segment(self, root: strawberry.Parent[models.Campaign], info: Info) -> Segment | None:
        if root.segment_id is None:
            return None
        return await info.context.loader(loaders.segments_by_id).load(root.segment_id)  # type: ignore[return-value]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Campaign | None]:
        if not info.context.user.can(MARKETING_READ):
            return [None for _ in node_ids]
        return await info.context.loader(loaders.campaigns_by_id).load_many(int_ids(node_ids))


@strawberry.type(description="A customer in a campaign's audience, and how far they came.")
class CampaignMembership:
    status: MembershipStatus
    targeted_at: datetime

    @strawberry.field
    async def campaign(self, root: strawberry.Parent[models.Membership], info: Info) -> Campaign:
        return await info.context.loader(loaders.campaigns_of_memberships).load(root.campaign_id)  # type: ignore[return-value]

    @strawberry.field(description="What a conversion sold, in CNY.")
    def converted_amount(self, root: strawberry.Parent[models.Membership]) -> Money | None:
        if root.converted_amount is None:
            return None
        return Money(amount=root.converted_amount, currency="CNY")


@extends("Customer")
@strawberry.type
class CustomerMarketing:
    @strawberry.field(description="From the marketing plugin.")
    async def campaigns(
        self, root: strawberry.Parent[object], info: Info
    ) -> list[CampaignMembership]:
        if not info.context.user.can(MARKETING_READ):
            return []
        return await info.context.loader(loaders.memberships_by_customer).load(root.id)  # type: ignore[attr-defined, return-value]

    @strawberry.field(description="The channels the customer withdrew marketing consent for.")
    async def marketing_opt_outs(
        self, root: strawberry.Parent[object], info: Info
    ) -> list[CampaignChannel]:
        opt_outs = await info.context.loader(loaders.opt_outs_by_customer).load(root.id)  # type: ignore[attr-defined]
        return [opt_out.channel for opt_out in opt_outs]


@strawberry.type
class CampaignEdge:
    cursor: str
    node: Campaign


@strawberry.type
class CampaignConnection(CountedConnection):
    edges: list[CampaignEdge]
    page_info: relay.PageInfo


@strawberry.type
class CampaignQuery:
    @query(permission=MARKETING_READ)
    async def campaign(self, info: Info, id: relay.GlobalID) -> Campaign | None:
        """A campaign by id."""
        if id.type_name != "Campaign":
            return None
        return await Campaign.resolve_node(id.node_id, info=info, required=False)  # type: ignore[return-value]

    @query(permission=MARKETING_READ)
    async def campaigns(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[CampaignStatus] | None = None,
    ) -> CampaignConnection:
        """Campaigns, newest first."""
        context: Context = info.context
        statement = select(models.Campaign).where(loaders.campaigns_in_scope(context.user))
        if status:
            statement = statement.where(models.Campaign.status.in_(status))  # type: ignore[attr-defined]
        page = await keyset_page(
            context.session,
            statement,
            models.Campaign.id,  # type: ignore[arg-type]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
            descending=True,
        )
        return CampaignConnection(
            edges=page.edges(CampaignEdge),
            page_info=page.page_info,
            counted=statement,
        )

    @query(permission=MARKETING_READ)
    async def segments(self, info: Info) -> list[Segment]:
        """Every saved segment, by name."""
        rows = await info.context.session.scalars(
            select(models.Segment).order_by(func.lower(models.Segment.name))
        )
        return list(rows)  # type: ignore[arg-type]


@strawberry.input
class SaveSegmentInput:
    name: str
    rules: CustomerFilter | None = strawberry.field(
        default=None, description="Customer criteria only; or give `segmentRules`."
    )
    description: str | None = None
    segment_rules: SegmentRules | None = strawberry.field(
        default=None, description="The customer criteria and the others (age, products...)."
    )


@strawberry.type
class SegmentPayload:
    segment: Segment | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class CreateCampaignInput:
    name: str
    channel: CampaignChannel
    starts_on: date | None = None
    ends_on: date | None = None
    audience: CustomerFilter | None = strawberry.field(
        default=None, description="Who the campaign targets when it is launched."
    )
    audience_rules: SegmentRules | None = strawberry.field(
        default=None, description="Instead of `audience`: full rules (age, products...)."
    )
    segment_id: relay.GlobalID | None = strawberry.field(
        default=None, description="A saved segment as the audience, instead of `audience`."
    )
    product_code: str | None = None
    budget: Decimal | None = strawberry.field(default=None, description="In CNY.")
    objective: str | None = None
    message: str | None = strawberry.field(
        default=None,
        description="What e-mail, SMS and app campaigns send; the name is its subject.",
    )


@strawberry.input
class LaunchCampaignInput:
    campaign_id: relay.GlobalID


@strawberry.input
class RecordCampaignResponseInput:
    campaign_id: relay.GlobalID
    customer_id: relay.GlobalID
    status: MembershipStatus
    note: str | None = None
    amount: Decimal | None = strawberry.field(
        default=None, description="CONVERTED only: the amount sold, in CNY."
    )


@strawberry.input
class MarketingConsentInput:
    customer_id: relay.GlobalID
    channels: list[CampaignChannel]


@strawberry.type
class CampaignPayload:
    campaign: Campaign | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class MarketingConsentPayload:
    customer: Customer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _campaign_id(input: LaunchCampaignInput) -> int | None:
    return node_id(input.campaign_id, "Campaign")


@strawberry.type
class CampaignMutation:
    @mutation(permission=CAMPAIGN_MANAGE)
    async def save_segment(self, info: Info, input: SaveSegmentInput) -> SegmentPayload:
        """Save a named audience."""
        context: Context = info.context
        rules = audience_json(input.rules, input.segment_rules, ("rules", "segmentRules"))
        if rules is None:
            raise BusinessError(
                "RULES_REQUIRED", "Give the segment rules.", ["input", "segmentRules"]
            )
        segment = await save_segment(
            context.session,
            context.user,
            input.name,
            await checked_audience(
                context.session,
                context.runtime.plugins,
                rules,
                context.runtime.settings.today(),
                ["input", "segmentRules"],
            ),
            input.description,
        )
        return SegmentPayload(segment=segment)  # type: ignore[arg-type]

    @mutation(permission=CAMPAIGN_MANAGE)
    async def create_campaign(self, info: Info, input: CreateCampaignInput) -> CampaignPayload:
        """Plan a campaign as a draft; its audience is snapshotted when it is launched."""
        context: Context = info.context
        segment_id = None
        if input.segment_id is not None:
            segment_id = node_id(input.segment_id, "Segment")
            if segment_id is None:
                raise BusinessError(
                    "NOT_FOUND", "There is no such segment.", ["input", "segmentId"]
                )
        audience = audience_json(
            input.audience, input.audience_rules, ("audience", "audienceRules")
        )
        if audience is not None:
            audience = await checked_audience(
                context.session,
                context.runtime.plugins,
                audience,
                context.runtime.settings.today(),
                ["input", "audienceRules"],
            )
        campaign = await create_campaign(
            context.session,
            context.user,
            Plan(
                name=input.name,
                channel=input.channel,
                starts_on=input.starts_on,
                ends_on=input.ends_on,
                audience=audience,
                segment_id=segment_id,
                product_code=input.product_code,
                budget=input.budget,
                objective=input.objective,
                message=input.message,
            ),
        )
        return CampaignPayload(campaign=campaign)  # type: ignore[arg-type]

    @mutation(permission=CAMPAIGN_MANAGE)
    async def schedule_campaign(self, info: Info, input: LaunchCampaignInput) -> CampaignPayload:
        """Mark a draft with an audience and a start date as scheduled."""
        return await _move(info, input, CampaignStatus.SCHEDULED)

    @mutation(permission=CAMPAIGN_MANAGE)
    async def launch_campaign(self, info: Info, input: LaunchCampaignInput) -> CampaignPayload:
        """Start a campaign: its audience, within your scope, less opted-out,
        recently targeted and unsuited customers, becomes its members."""
        context: Context = info.context
        campaign = await launch_campaign(
            context.session,
            context.runtime.plugins,
            context.user,
            _campaign_id(input),
            context.runtime.settings.today(),
            zone=context.runtime.settings.zone,
        )
        return CampaignPayload(campaign=campaign)  # type: ignore[arg-type]

    @mutation(permission=CAMPAIGN_MANAGE)
    async def complete_campaign(self, info: Info, input: LaunchCampaignInput) -> CampaignPayload:
        """End a running campaign."""
        return await _move(info, input, CampaignStatus.COMPLETED)

    @mutation(permission=CAMPAIGN_MANAGE)
    async def cancel_campaign(self, info: Info, input: LaunchCampaignInput) -> CampaignPayload:
        """Call off a campaign that has not ended."""
        return await _move(info, input, CampaignStatus.CANCELLED)

    @mutation(permission=CAMPAIGN_RESPOND)
    async def record_campaign_response(
        self, info: Info, input: RecordCampaignResponseInput
    ) -> CampaignPayload:
        """Move a member of a running campaign on: contacted, responded,
        converted (with the amount sold) or declined."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        campaign = await record_response(
            context.session,
            context.user,
            node_id(input.campaign_id, "Campaign"),
            customer,
            Answer(status=input.status, note=input.note, amount=input.amount),
            context.runtime.settings.today(),
        )
        return CampaignPayload(campaign=campaign)  # type: ignore[arg-type]

    @mutation(permission=CONSENT_MANAGE)
    async def withdraw_marketing_consent(
        self, info: Info, input: MarketingConsentInput
    ) -> MarketingConsentPayload:
        """Record that the customer wants no marketing through these channels."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        await withdraw_consent(context.session, context.user, customer, input.channels)
        return MarketingConsentPayload(customer=customer)  # type: ignore[arg-type]

    @mutation(permission=CONSENT_MANAGE)
    async def restore_marketing_consent(
        self, info: Info, input: MarketingConsentInput
    ) -> MarketingConsentPayload:
        """Record that the customer accepts marketing through these channels again."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        await restore_consent(context.session, customer, input.channels)
        return MarketingConsentPayload(customer=customer)  # type: ignore[arg-type]


async def _move(info: Info, input: LaunchCampaignInput, to: CampaignStatus) -> CampaignPayload:
    context: Context = info.context
    campaign = await move_campaign(context.session, context.user, _campaign_id(input), to)
    return CampaignPayload(campaign=campaign)  # type: ignore[arg-type]
