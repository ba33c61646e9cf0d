"""Sharing a customer with a colleague for a while (协作共享)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.columns import utcnow
from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, extends, mutation, node_id
from core.loaders import all_per_key
from plugins.customer.api.customers import customer_in_scope
from plugins.customer.managers import end_share, share_customer
from plugins.customer.models import Customer, CustomerShare
from plugins.customer.permissions import CUSTOMER_SHARE
from plugins.security import loaders as staff
from plugins.security.types import User


@strawberry.type(
    name="CustomerShare", description="A customer shared with a colleague until a set time."
)
class CustomerShareType:
    id: int
    reason: str
    expires_at: datetime

    @strawberry.field
    async def shared_with(self, root: strawberry.Parent[CustomerShare], info: Info) -> User:
        return await info.context.loader(staff.users_by_id).load(root.shared_with_id)

    @strawberry.field
    async def shared_by(self, root: strawberry.Parent[CustomerShare], info: Info) -> User:
        return await info.context.loader(staff.users_by_id).load(root.shared_by_id)


async def active_shares_by_customer_id(
    context: Context, ids: list[int]
) -> list[list[CustomerShare]]:
    rows = await context.session.scalars(
        select(CustomerShare)
        .where(
            CustomerShare.customer_id.in_(ids),  # type: ignore[attr-defined]
            CustomerShare.revoked_at.is_(None),  # type: ignore[union-attr]
            CustomerShare.expires_at > utcnow(),
        )
        .order_by(CustomerShare.expires_at)
    )
    return all_per_key(ids, rows, lambda row: row.customer_id)


@extends("Customer")
@strawberry.type
class CustomerShares:
    @strawberry.field(description="Colleagues the customer is shared with now.")
    async def shares(
        self, root: strawberry.Parent[Customer], info: Info
    ) -> list[CustomerShareType]:
        return await info.context.loader(active_shares_by_customer_id).load(root.id)  # type: ignore[return-value]


@strawberry.input
class ShareCustomerInput:
    customer_id: relay.GlobalID
    user_id: relay.GlobalID
    days: int
    reason: str


@strawberry.input
class EndCustomerShareInput:
    share_id: int


@strawberry.type
class SharePayload:
    share: CustomerShareType | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SharingMutation:
    @mutation(permission=CUSTOMER_SHARE)
    async def share_customer(self, info: Info, input: ShareCustomerInput) -> SharePayload:
        """Let a colleague or a specialist see and work a customer for some days."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        colleague = node_id(input.user_id, "User")
        if colleague is None:
            raise BusinessError(
                "NOT_FOUND", "There is no such member of staff.", ["input", "userId"]
            )
        share = await share_customer(
            context.session, customer, colleague, input.days, input.reason, context.user.user_id
        )
        return SharePayload(share=share)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_SHARE)
    async def end_customer_share(self, info: Info, input: EndCustomerShareInput) -> SharePayload:
        """End a share before it runs out."""
        context: Context = info.context
        share = await context.session.get(CustomerShare, input.share_id)
        if share is not None:
            customer_gid = relay.GlobalID("Customer", str(share.customer_id))
            await customer_in_scope(info, customer_gid, ["input", "shareId"])
        share = await end_share(context.session, input.share_id)
        return SharePayload(share=share)  # type: ignore[arg-type]
