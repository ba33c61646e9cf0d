"""Links between customers in GraphQL: ``Customer.relationships`` and
``Customer.household``, and linking and unlinking customers."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, extends, mutation, node_id
from core.money import Money
from plugins.customer import loaders, models
from plugins.customer.api.customers import Customer, customer_in_scope
from plugins.customer.models import RelationshipKind
from plugins.customer.permissions import CUSTOMER_WRITE
from plugins.customer.relationship_loaders import (
    households_by_customer_id,
    relationships_by_customer_id,
)
from plugins.customer.relationships import link_customers, unlink_customers

RELATIONSHIP_TYPE = "CustomerRelationship"
CURRENCY = "CNY"

strawberry.enum(
    RelationshipKind,
    description="What the related customer is to the customer: SPOUSE, PARENT and "
    "CHILD make a household; the rest are ties with companies. Read from the other "
    "side, a link has the inverse kind (PARENT and CHILD, EMPLOYEE and EMPLOYER, ...).",
)


@strawberry.type(description="A link with another customer, seen from this customer's side.")
class CustomerRelationship:
    id: relay.GlobalID = strawberry.field(
        description="The link's id, the same from both sides (for unlinkCustomers)."
    )
    kind: RelationshipKind = strawberry.field(description="What `customer` is to this customer.")
    customer: Customer = strawberry.field(description="The other customer.")
    since: datetime


@strawberry.type(description="A customer with their spouse, parents and children.")
class Household:
    members: list[Customer] = strawberry.field(
        description="The customer first, then the active relatives in your scope."
    )
    combined_assets: Money = strawberry.field(
        description="What the members listed hold with the bank together."
    )


@extends("Customer")
@strawberry.type
class CustomerRelationships:
    @strawberry.field(
        description="Links with other customers in your scope, oldest first, "
        "whichever side they were made from."
    )
    async def relationships(
        self, root: strawberry.Parent[models.Customer], info: Info
    ) -> list[CustomerRelationship]:
        context: Context = info.context
        links = await context.loader(relationships_by_customer_id).load(root.id)
        others = await context.loader(loaders.customers_by_id).load_many(
            [link.other_id for link in links]
        )
        return [
            CustomerRelationship(
                id=relay.GlobalID(RELATIONSHIP_TYPE, str(link.id)),
                kind=link.kind,
                customer=other,  # type: ignore[arg-type]
                since=link.since,
            )
            for link, other in zip(links, others, strict=True)
            if other is not None
        ]

    @strawberry.field(description="The customer's household, as far as your scope reaches.")
    async def household(self, root: strawberry.Parent[models.Customer], info: Info) -> Household:
        context: Context = info.context
        household = await context.loader(households_by_customer_id).load(root.id)  # type: ignore[arg-type]
        members = await context.loader(loaders.customers_by_id).load_many(
            list(household.member_ids)
        )
        return Household(
            members=[member for member in members if member is not None],  # type: ignore[misc]
            combined_assets=Money(amount=household.combined_assets, currency=CURRENCY),
        )


@strawberry.input
class LinkCustomersInput:
    customer_id: relay.GlobalID
    related_customer_id: relay.GlobalID
    kind: RelationshipKind = strawberry.field(
        description="What the related customer is to the customer."
    )


@strawberry.input
class UnlinkCustomersInput:
    relationship_id: relay.GlobalID


@strawberry.type
class RelationshipPayload:
    customer: Customer | None = strawberry.field(
        default=None,
        description="linkCustomers: the customer linked; unlinkCustomers: the customer "
        "the link was made from.",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RelationshipMutation:
    @mutation(permission=CUSTOMER_WRITE)
    async def link_customers(self, info: Info, input: LinkCustomersInput) -> RelationshipPayload:
        """Record that the related customer is the customer's spouse, parent, employee, ...
        A pair of customers has one link at most; both must be in your scope."""
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        related = await customer_in_scope(
            info, input.related_customer_id, ["input", "relatedCustomerId"]
        )
        await link_customers(info.context.session, customer, related, input.kind)
        return RelationshipPayload(customer=customer)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_WRITE)
    async def unlink_customers(
        self, info: Info, input: UnlinkCustomersInput
    ) -> RelationshipPayload:
        """Remove a link between two customers of your scope."""
        context: Context = info.context
        field = ["input", "relationshipId"]
        relationship_id = node_id(input.relationship_id, RELATIONSHIP_TYPE)
        relationship = (
            await context.session.get(models.Relationship, relationship_id)
            if relationship_id is not None
            else None
        )
        parties = (
            await context.loader(loaders.customers_by_id).load_many(
                [relationship.customer_id, relationship.related_customer_id]
            )
            if relationship is not None
            else [None]
        )
        if any(party is None for party in parties):
            raise BusinessError("NOT_FOUND", "There is no such relationship.", field)
        await unlink_customers(context.session, relationship_id)
        return RelationshipPayload(customer=parties[0])  # type: ignore[arg-type]
