"""Referrals of customers to specialist teams in GraphQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.graphql import UserError, int_ids, model_type_check, mutation, node_id, query
from core.money import Money
from core.pagination import CountedConnection, keyset_page
from plugins.customer import loaders as customer_loaders
from plugins.customer.api.customers import Customer, customer_in_scope
from plugins.customer.permissions import CUSTOMER_READ
from plugins.marketing.leads import loaders
from plugins.marketing.leads.models import Referral as ReferralRow
from plugins.marketing.leads.models import ReferralStatus, SpecialistTeam
from plugins.marketing.leads.referrals import (
    ReferralResult,
    accept_referral,
    close_referral,
    decline_referral,
    refer_customer,
)
from plugins.marketing.leads.scope import referrals_in_scope
from plugins.marketing.permissions import LEAD_READ, REFERRAL_MAKE, REFERRAL_WORK
from plugins.security import loaders as staff
from plugins.security.types import User

strawberry.enum(SpecialistTeam)
strawberry.enum(ReferralStatus, description="OPEN → ACCEPTED → WON or LOST; OPEN → DECLINED.")
strawberry.enum(ReferralResult)


@strawberry.type(description="A customer referred by their manager to a specialist team.")
class Referral(relay.Node):
    id: relay.NodeID[int]
    team: SpecialistTeam
    reason: str
    status: ReferralStatus
    outcome: str | None = strawberry.field(description="Why it was declined, or what came of it.")
    created_at: datetime
    closed_at: datetime | None

    is_type_of = model_type_check(ReferralRow)

    @strawberry.field(
        description="Null while the customer is out of your scope (a specialist sees "
        "the customer once they accept)."
    )
    async def customer(self, root: strawberry.Parent[ReferralRow], info: Info) -> Customer | None:
        if not info.context.user.can(CUSTOMER_READ):
            return None
        return await info.context.loader(customer_loaders.customers_by_id).load(root.customer_id)  # type: ignore[return-value]

    @strawberry.field
    async def referred_by(self, root: strawberry.Parent[ReferralRow], info: Info) -> User:
        return await info.context.loader(staff.users_by_id).load(root.referred_by)

    @strawberry.field(description="Who accepted or declined it.")
    async def specialist(self, root: strawberry.Parent[ReferralRow], info: Info) -> User | None:
        if root.specialist_id is None:
            return None
        return await info.context.loader(staff.users_by_id).load(root.specialist_id)

    @strawberry.field(description="What the customer took up, in CNY (WON only).")
    def amount(self, root: strawberry.Parent[ReferralRow]) -> Money | None:
        return None if root.amount is None else Money(amount=root.amount, currency="CNY")

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ReferralRow | None]:
        if not info.context.user.can(LEAD_READ):
            return [None for _ in node_ids]
        return await info.context.loader(loaders.referrals_by_id).load_many(int_ids(node_ids))


@strawberry.type
class ReferralEdge:
    cursor: str
    node: Referral


@strawberry.type
class ReferralConnection(CountedConnection):
    edges: list[ReferralEdge]
    page_info: relay.PageInfo


@strawberry.type
class ReferralQuery:
    @query(permission=LEAD_READ)
    async def referral(self, info: Info, id: relay.GlobalID) -> Referral | None:
        """A referral by id; null when missing or out of your scope."""
        if id.type_name != "Referral":
            return None
        return await Referral.resolve_node(id.node_id, info=info, required=False)  # type: ignore[return-value]

    @query(permission=LEAD_READ)
    async def referrals(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[ReferralStatus] | None = None,
        team: list[SpecialistTeam] | None = None,
    ) -> ReferralConnection:
        """Referrals you may see, newest first: of customers in your scope, made
        or taken by you, and (for a specialist) the open ones of your branch."""
        context: Context = info.context
        statement = select(ReferralRow).where(referrals_in_scope(context.user))
        if status:
            statement = statement.where(ReferralRow.status.in_(status))  # type: ignore[attr-defined]
        if team:
            statement = statement.where(ReferralRow.team.in_(team))  # type: ignore[attr-defined]
        page = await keyset_page(
            context.session,
            statement,
            ReferralRow.id,  # type: ignore[arg-type]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
            descending=True,
        )
        return ReferralConnection(
            edges=page.edges(ReferralEdge),
            page_info=page.page_info,
            counted=statement,
        )


@strawberry.input
class ReferCustomerInput:
    customer_id: relay.GlobalID
    team: SpecialistTeam
    reason: str


@strawberry.input
class ReferralInput:
    referral_id: relay.GlobalID


@strawberry.input
class DeclineReferralInput:
    referral_id: relay.GlobalID
    reason: str


@strawberry.input
class CloseReferralInput:
    referral_id: relay.GlobalID
    result: ReferralResult
    outcome: str
    amount: Decimal | None = strawberry.field(
        default=None, description="WON only: what the customer took up, in CNY."
    )


@strawberry.type
class ReferralPayload:
    referral: Referral | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _referral_id(input: ReferralInput | DeclineReferralInput | CloseReferralInput) -> int | None:
    return node_id(input.referral_id, "Referral")


@strawberry.type
class ReferralMutation:
    @mutation(permission=REFERRAL_MAKE)
    async def refer_customer(self, info: Info, input: ReferCustomerInput) -> ReferralPayload:
        """Refer a customer in your scope to a specialist team, saying why."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        referral = await refer_customer(
            context.session, context.user, customer, input.team, input.reason
        )
        return ReferralPayload(referral=referral)  # type: ignore[arg-type]

    @mutation(permission=REFERRAL_WORK)
    async def accept_referral(self, info: Info, input: ReferralInput) -> ReferralPayload:
        """Take an open referral on as its specialist; the customer is shared with you."""
        context: Context = info.context
        referral = await accept_referral(context.session, context.user, _referral_id(input))
        return ReferralPayload(referral=referral)  # type: ignore[arg-type]

    @mutation(permission=REFERRAL_WORK)
    async def decline_referral(self, info: Info, input: DeclineReferralInput) -> ReferralPayload:
        """Turn an open referral down, saying why."""
        context: Context = info.context
        referral = await decline_referral(
            context.session, context.user, _referral_id(input), input.reason
        )
        return ReferralPayload(referral=referral)  # type: ignore[arg-type]

    @mutation(permission=REFERRAL_WORK)
    async def close_referral(self, info: Info, input: CloseReferralInput) -> ReferralPayload:
        """Record what came of a referral you accepted: WON (with the amount, if
        any) or LOST."""
        context: Context = info.context
        referral = await close_referral(
            context.session,
            context.user,
            _referral_id(input),
            input.result,
            input.outcome,
            input.amount,
        )
        return ReferralPayload(referral=referral)  # type: ignore[arg-type]
