"""A customer's risk assessment, tags, and closing."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import delete
from strawberry import relay
from strawberry.types import Info

from core.columns import utcnow
from core.context import Context
from core.db import insert_for
from core.errors import BusinessError
from core.graphql import mutation
from core.validation import clean_text
from plugins.customer.api.customers import CustomerPayload, customer_in_scope
from plugins.customer.models import TAG_MAX, CustomerStatus, CustomerTag, RiskProfile
from plugins.customer.permissions import CUSTOMER_WRITE

MAX_TAGS = 20


@strawberry.input
class SetRiskProfileInput:
    customer_id: relay.GlobalID
    risk_profile: RiskProfile
    "The day the questionnaire was answered; default today. Suitability rules read it."
    assessed_on: date | None = None


@strawberry.input
class TagCustomerInput:
    customer_id: relay.GlobalID
    tags: list[str]


@strawberry.input
class CloseCustomerInput:
    customer_id: relay.GlobalID
    reason: str


def _clean_tags(tags: list[str]) -> list[str]:
    if len(tags) > MAX_TAGS:
        raise BusinessError("TOO_MANY_TAGS", f"At most {MAX_TAGS} tags at once.", ["input", "tags"])
    return sorted({clean_text(tag, field=["input", "tags"], max_length=TAG_MAX) for tag in tags})


@strawberry.type
class ProfileMutation:
    @mutation(permission=CUSTOMER_WRITE)
    async def set_risk_profile(self, info: Info, input: SetRiskProfileInput) -> CustomerPayload:
        """Record the outcome of a risk assessment (风险测评)."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        today = context.runtime.settings.today()
        assessed_on = input.assessed_on or today
        if assessed_on > today:
            raise BusinessError(
                "INVALID_DATE", "An assessment cannot be in the future.", ["input", "assessedOn"]
            )
        customer.risk_profile = input.risk_profile
        customer.risk_assessed_on = assessed_on
        context.session.add(customer)
        return CustomerPayload(customer=customer)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_WRITE)
    async def tag_customer(self, info: Info, input: TagCustomerInput) -> CustomerPayload:
        """Add tags to a customer (tags it has already are kept once)."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        for tag in _clean_tags(input.tags):
            await context.session.execute(
                insert_for(context.session, CustomerTag)
                .values(customer_id=customer.id, tag=tag)
                .on_conflict_do_nothing()
            )
        return CustomerPayload(customer=customer)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_WRITE)
    async def untag_customer(self, info: Info, input: TagCustomerInput) -> CustomerPayload:
        """Take tags off a customer."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        await context.session.execute(
            delete(CustomerTag).where(
                CustomerTag.customer_id == customer.id,
                CustomerTag.tag.in_(_clean_tags(input.tags)),  # type: ignore[attr-defined]
            )
        )
        return CustomerPayload(customer=customer)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_WRITE)
    async def close_customer(self, info: Info, input: CloseCustomerInput) -> CustomerPayload:
        """Close a customer: kept for history and audit, gone from lists and work."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        reason = clean_text(input.reason, field=["input", "reason"], max_length=500)
        if customer.status is CustomerStatus.CLOSED:
            raise BusinessError(
                "CUSTOMER_CLOSED", "The customer is closed already.", ["input", "customerId"]
            )
        customer.status = CustomerStatus.CLOSED
        customer.closed_at = utcnow()
        customer.closed_reason = reason
        context.session.add(customer)
        return CustomerPayload(customer=customer)  # type: ignore[arg-type]
