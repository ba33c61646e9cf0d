"""Leads (prospects) and their pipeline in GraphQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import strawberry
from sqlalchemy import ColumnElement, false, select
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.errors import BusinessError, Forbidden
from core.graphql import UserError, int_ids, model_type_check, mutation, node_id, query
from core.money import Money
from core.pagination import CountedConnection, keyset_page
from plugins.customer import loaders as customer_loaders
from plugins.customer.api.customers import Customer
from plugins.customer.events import CustomerRegistered
from plugins.customer.models import CustomerKind
from plugins.customer.permissions import CUSTOMER_READ, CUSTOMER_WRITE
from plugins.marketing import loaders as marketing_loaders
from plugins.marketing.api.campaigns import Campaign
from plugins.marketing.api.events import Event
from plugins.marketing.api.products import Product
from plugins.marketing.events import loaders as event_loaders
from plugins.marketing.leads import loaders
from plugins.marketing.leads.conversion import convert_lead
from plugins.marketing.leads.figures import pipeline_figures
from plugins.marketing.leads.models import Lead as LeadRow
from plugins.marketing.leads.models import LeadSource, LeadStage, LeadStageChange
from plugins.marketing.leads.pipeline import Prospect, Terms, create_lead, move_lead, update_lead
from plugins.marketing.leads.scope import leads_in_scope
from plugins.marketing.leads.sources import Origin
from plugins.marketing.permissions import LEAD_MANAGE, LEAD_READ, MARKETING_READ
from plugins.security import loaders as staff
from plugins.security.masking import mask_email, mask_name, mask_phone, reveals_personal_data
from plugins.security.types import Branch, User

strawberry.enum(LeadSource, description="Where a prospect came from.")
strawberry.enum(LeadStage, description="NEW → CONTACTED → QUALIFIED → PROPOSAL → WON, or LOST.")

EVENT_TYPE = "Event"
"""The GraphQL type name of a marketing event's global ID."""


def _reveals(info: Info, lead: LeadRow) -> bool:
    return reveals_personal_data(info, "Lead", lead.id)


@strawberry.type(name="LeadStageChange", description="A move of a lead through the pipeline.")
class LeadStageChangeType:
    from_stage: LeadStage | None = strawberry.field(description="Null for the lead's recording.")
    to_stage: LeadStage
    note: str | None
    changed_at: datetime

    @strawberry.field
    async def changed_by(self, root: strawberry.Parent[LeadStageChange], info: Info) -> User:
        return await info.context.loader(staff.users_by_id).load(root.changed_by)


@strawberry.type(description="A prospect who is not a customer yet, and how far they have come.")
class Lead(relay.Node):
    id: relay.NodeID[int]
    kind: CustomerKind
    source: LeadSource
    stage: LeadStage
    partner: str | None
    probability: int | None = strawberry.field(description="Per cent, 0 to 100.")
    note: str | None
    lost_reason: str | None
    created_at: datetime
    updated_at: datetime

    is_type_of = model_type_check(LeadRow)

    @strawberry.field(description="An individual's name is masked unless you may read it.")
    def name(self, root: strawberry.Parent[LeadRow], info: Info) -> str:
        if root.kind is CustomerKind.INDIVIDUAL and not reveals_personal_data(
            info, "Lead", root.id
        ):
            return mask_name(root.name)  # type: ignore[return-value]
        return root.name

    @strawberry.field(description="Masked unless the viewer may read personal data.")
    def phone(self, root: strawberry.Parent[LeadRow], info: Info) -> str | None:
        return (
            root.phone if reveals_personal_data(info, "Lead", root.id) else mask_phone(root.phone)
        )

    @strawberry.field(description="Masked unless the viewer may read personal data.")
    def email(self, root: strawberry.Parent[LeadRow], info: Info) -> str | None:
        return (
            root.email if reveals_personal_data(info, "Lead", root.id) else mask_email(root.email)
        )

    @strawberry.field(description="In CNY.")
    def expected_amount(self, root: strawberry.Parent[LeadRow]) -> Money | None:
        if root.expected_amount is None:
            return None
        return Money(amount=root.expected_amount, currency="CNY")

    @strawberry.field
    async def owner(self, root: strawberry.Parent[LeadRow], info: Info) -> User:
        return await info.context.loader(staff.users_by_id).load(root.owner_id)

    @strawberry.field
    async def branch(self, root: strawberry.Parent[LeadRow], info: Info) -> Branch:
        return await info.context.loader(staff.branches_by_id).load(root.branch_id)

    @strawberry.field(description="The customer who referred the prospect; null out of your scope.")
    async def referred_by(self, root: strawberry.Parent[LeadRow], info: Info) -> Customer | None:
        return await _customer(info, root.referred_by_customer_id)

    @strawberry.field(description="The campaign the prospect answered.")
    async def campaign(self, root: strawberry.Parent[LeadRow], info: Info) -> Campaign | None:
        if root.campaign_id is None or not info.context.user.can(MARKETING_READ):
            return None
        return await info.context.loader(marketing_loaders.campaigns_by_id).load(root.campaign_id)  # type: ignore[return-value]

    @strawberry.field(description="The event the prospect came to.")
    async def event(self, root: strawberry.Parent[LeadRow], info: Info) -> Event | None:
        if root.event_id is None or not info.context.user.can(MARKETING_READ):
            return None
        return await info.context.loader(event_loaders.events_by_id).load(root.event_id)  # type: ignore[return-value]

    @strawberry.field(description="The product the prospect is interested in.")
    async def product(self, root: strawberry.Parent[LeadRow], info: Info) -> Product | None:
        if root.product_id is None:
            return None
        return await info.context.loader(marketing_loaders.products_by_id).load(root.product_id)  # type: ignore[return-value]

    @strawberry.field(description="The customer a converted lead became; null out of your scope.")
    async def customer(self, root: strawberry.Parent[LeadRow], info: Info) -> Customer | None:
        return await _customer(info, root.customer_id)

    @strawberry.field(description="Every move, oldest first, from its recording as NEW.")
    async def stage_history(
        self, root: strawberry.Parent[LeadRow], info: Info
    ) -> list[LeadStageChangeType]:
        return await info.context.loader(loaders.stage_changes_by_lead).load(root.id)  # type: ignore[return-value]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[LeadRow | None]:
        if not info.context.user.can(LEAD_READ):
            return [None for _ in node_ids]
        return await info.context.loader(loaders.leads_by_id).load_many(int_ids(node_ids))


async def _customer(info: Info, customer_id: int | None) -> Customer | None:
    if customer_id is None or not info.context.user.can(CUSTOMER_READ):
        return None
    return await info.context.loader(customer_loaders.customers_by_id).load(customer_id)  # type: ignore[return-value]


@strawberry.type
class LeadEdge:
    cursor: str
    node: Lead


@strawberry.type
class LeadConnection(CountedConnection):
    edges: list[LeadEdge]
    page_info: relay.PageInfo


@strawberry.input
class LeadFilter:
    stage: list[LeadStage] | None = None
    source: list[LeadSource] | None = None
    owner_id: relay.GlobalID | None = None


@strawberry.type(description="The leads at one stage of the pipeline and what they should bring.")
class LeadStageFigures:
    stage: LeadStage
    count: int
    expected_amount: Money = strawberry.field(description="Their expected amounts, summed.")
    weighted_amount: Money = strawberry.field(
        description="Their expected amounts weighted by probability, summed."
    )


def _filtered(context: Context, given: LeadFilter | None) -> list[ColumnElement[bool]]:
    conditions = [leads_in_scope(context.user)]
    if given is None:
        return conditions
    if given.stage:
        conditions.append(LeadRow.stage.in_(given.stage))  # type: ignore[attr-defined]
    if given.source:
        conditions.append(LeadRow.source.in_(given.source))  # type: ignore[attr-defined]
    if given.owner_id is not None:
        owner_id = node_id(given.owner_id, "User")
        conditions.append(LeadRow.owner_id == owner_id if owner_id is not None else false())  # type: ignore[arg-type]
    return conditions


@strawberry.type
class LeadQuery:
    @query(permission=LEAD_READ)
    async def lead(self, info: Info, id: relay.GlobalID) -> Lead | None:
        """A lead by id; null when missing or out of your scope."""
        if id.type_name != "Lead":
            return None
        return await Lead.resolve_node(id.node_id, info=info, required=False)  # type: ignore[return-value]

    @query(permission=LEAD_READ)
    async def leads(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: LeadFilter | None = None,
    ) -> LeadConnection:
        """Leads in your scope, newest first: head office sees every lead,
        branch staff their branch's, a relationship manager those they own."""
        context: Context = info.context
        statement = select(LeadRow).where(*_filtered(context, filter))
        page = await keyset_page(
            context.session,
            statement,
            LeadRow.id,  # type: ignore[arg-type]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
            descending=True,
        )
        return LeadConnection(
            edges=page.edges(LeadEdge),
            page_info=page.page_info,
            counted=statement,
        )

    @query(permission=LEAD_READ)
    async def lead_pipeline(
        self, info: Info, filter: LeadFilter | None = None
    ) -> list[LeadStageFigures]:
        """Per stage, in pipeline order: the leads in your scope and their expected amounts."""
        context: Context = info.context
        figures = await pipeline_figures(context.session, *_filtered(context, filter))
        return [
            LeadStageFigures(
                stage=stage.stage,
                count=stage.count,
                expected_amount=Money(amount=stage.expected_amount, currency="CNY"),
                weighted_amount=Money(amount=stage.weighted_amount, currency="CNY"),
            )
            for stage in figures
        ]


@strawberry.input
class CreateLeadInput:
    name: str
    source: LeadSource
    kind: CustomerKind = CustomerKind.INDIVIDUAL
    phone: str | None = None
    email: str | None = None
    referred_by_customer_id: relay.GlobalID | None = strawberry.field(
        default=None, description="REFERRAL: the customer who referred the prospect."
    )
    event_id: relay.GlobalID | None = strawberry.field(
        default=None, description="EVENT: the event the prospect came to."
    )
    campaign_id: relay.GlobalID | None = strawberry.field(
        default=None, description="CAMPAIGN: the campaign the prospect answered."
    )
    partner: str | None = strawberry.field(
        default=None, description="PARTNER: the partner who introduced the prospect."
    )
    owner_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Default: you. Head office names a member of a branch's staff."
    )
    expected_amount: Decimal | None = strawberry.field(default=None, description="In CNY.")
    probability: int | None = strawberry.field(default=None, description="Per cent, 0 to 100.")
    product_code: str | None = None
    note: str | None = None


@strawberry.input
class MoveLeadInput:
    lead_id: relay.GlobalID
    stage: LeadStage
    note: str | None = None
    reason: str | None = strawberry.field(default=None, description="LOST only, and required.")


@strawberry.input(description="A field left out stays as it is.")
class UpdateLeadInput:
    lead_id: relay.GlobalID
    owner_id: relay.GlobalID | None = None
    expected_amount: Decimal | None = strawberry.field(default=None, description="In CNY.")
    probability: int | None = strawberry.field(default=None, description="Per cent, 0 to 100.")
    product_code: str | None = None
    note: str | None = None


@strawberry.input
class ConvertLeadInput:
    lead_id: relay.GlobalID
    id_number: str = strawberry.field(
        description="The resident ID (an individual) or unified social credit code (a company)."
    )


@strawberry.type
class LeadPayload:
    lead: Lead | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConvertLeadPayload:
    lead: Lead | None = None
    customer: Customer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _reference(global_id: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    """The id a reference names; NOT_FOUND for a global ID of another type."""
    if global_id is None:
        return None
    found = node_id(global_id, type_name)
    if found is None:
        raise BusinessError("NOT_FOUND", f"There is no such {type_name}.", ["input", field])
    return found


def _terms(input: CreateLeadInput | UpdateLeadInput) -> Terms:
    return Terms(
        owner_id=_reference(input.owner_id, "User", "ownerId"),
        expected_amount=input.expected_amount,
        probability=input.probability,
        product_code=input.product_code,
        note=input.note,
    )


@strawberry.type
class LeadMutation:
    @mutation(permission=LEAD_MANAGE)
    async def create_lead(self, info: Info, input: CreateLeadInput) -> LeadPayload:
        """Record a prospect as a NEW lead, with where they came from."""
        context: Context = info.context
        origin = Origin(
            source=input.source,
            referred_by_customer_id=_reference(
                input.referred_by_customer_id, "Customer", "referredByCustomerId"
            ),
            event_id=_reference(input.event_id, EVENT_TYPE, "eventId"),
            campaign_id=_reference(input.campaign_id, "Campaign", "campaignId"),
            partner=input.partner,
        )
        lead = await create_lead(
            context.session,
            context.runtime.permissions,
            context.user,
            Prospect(
                name=input.name,
                origin=origin,
                kind=input.kind,
                phone=input.phone,
                email=input.email,
                terms=_terms(input),
            ),
        )
        return LeadPayload(lead=lead)  # type: ignore[arg-type]

    @mutation(permission=LEAD_MANAGE)
    async def move_lead(self, info: Info, input: MoveLeadInput) -> LeadPayload:
        """Move a lead forward (stages may be skipped), or to LOST with the reason."""
        context: Context = info.context
        lead = await move_lead(
            context.session,
            context.user,
            node_id(input.lead_id, "Lead"),
            input.stage,
            note=input.note,
            reason=input.reason,
        )
        return LeadPayload(lead=lead)  # type: ignore[arg-type]

    @mutation(permission=LEAD_MANAGE)
    async def update_lead(self, info: Info, input: UpdateLeadInput) -> LeadPayload:
        """Change an open lead's owner, expected amount, probability, product or note."""
        context: Context = info.context
        lead = await update_lead(
            context.session,
            context.runtime.permissions,
            context.user,
            node_id(input.lead_id, "Lead"),
            _terms(input),
        )
        return LeadPayload(lead=lead)  # type: ignore[arg-type]

    @mutation(permission=LEAD_MANAGE)
    async def convert_lead(self, info: Info, input: ConvertLeadInput) -> ConvertLeadPayload:
        """Register the customer a won lead became, in the lead's branch, with the
        lead's name and contact details; a lead is converted once. Needs
        ``customer.write`` as well."""
        context: Context = info.context
        if not context.user.can(CUSTOMER_WRITE):
            raise Forbidden()
        lead, customer = await convert_lead(
            context.session,
            context.user,
            node_id(input.lead_id, "Lead"),
            input.id_number,
            context.runtime.settings.today(),
        )
        await context.publish(CustomerRegistered(customer.id, customer.branch_id))  # type: ignore[arg-type]
        return ConvertLeadPayload(lead=lead, customer=customer)  # type: ignore[arg-type]
