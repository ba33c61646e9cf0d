"""Merging a customer registered twice."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.graphql import mutation
from plugins.customer.api.customers import CustomerPayload, customer_in_scope
from plugins.customer.merge import merge_customers
from plugins.customer.permissions import CUSTOMER_MERGE


@strawberry.input
class MergeCustomersInput:
    "The customer that stays."

    survivor_id: relay.GlobalID
    "The duplicate, closed afterwards with a pointer to the survivor."
    duplicate_id: relay.GlobalID


@strawberry.type
class MergeMutation:
    @mutation(permission=CUSTOMER_MERGE)
    async def merge_customers(self, info: Info, input: MergeCustomersInput) -> CustomerPayload:
        """Move everything the duplicate holds, in every plugin, to the survivor, as one
        transaction; the duplicate is closed and points to the survivor."""
        context: Context = info.context
        survivor = await customer_in_scope(info, input.survivor_id, ["input", "survivorId"])
        duplicate = await customer_in_scope(info, input.duplicate_id, ["input", "duplicateId"])
        merged = await merge_customers(
            context.session, context.runtime.plugins, context.runtime.events, survivor, duplicate
        )
        return CustomerPayload(customer=merged)  # type: ignore[arg-type]
