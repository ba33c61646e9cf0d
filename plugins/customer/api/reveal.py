"""Seeing one customer's personal data unmasked, for a stated reason.

Staff who read customers masked (tellers, service agents) sometimes need the
real identity number or phone: to check a customer at the counter, to call
them back. They ask for one customer at a time and say why; the request is a
mutation, so the audit log keeps who asked, when, for whom and the reason.
"""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.errors import BusinessError
from core.graphql import UserError, mutation
from core.validation import clean_text
from plugins.customer.api.customers import Customer, customer_in_scope
from plugins.security.permissions import PII_REVEAL

REASON_MIN = 5
REASON_MAX = 500


@strawberry.input
class RevealCustomerPersonalDataInput:
    customer_id: relay.GlobalID
    reason: str = strawberry.field(description="Why you need it; kept in the audit log.")


@strawberry.type(description="One customer's personal data, unmasked for a stated reason.")
class RevealedPersonalData:
    id_number: str
    phone: str | None
    email: str | None


@strawberry.type
class RevealCustomerPersonalDataPayload:
    customer: Customer | None = None
    personal_data: RevealedPersonalData | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RevealMutation:
    @mutation(permission=PII_REVEAL)
    async def reveal_customer_personal_data(
        self, info: Info, input: RevealCustomerPersonalDataInput
    ) -> RevealCustomerPersonalDataPayload:
        """Show one customer's identity number, phone and e-mail unmasked; the
        reason is recorded in the audit log."""
        reason = clean_text(input.reason, field=["input", "reason"], max_length=REASON_MAX)
        if len(reason) < REASON_MIN:
            raise BusinessError(
                "REASON_REQUIRED",
                f"Say why, in at least {REASON_MIN} characters.",
                ["input", "reason"],
            )
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        return RevealCustomerPersonalDataPayload(
            customer=customer,  # type: ignore[arg-type]
            personal_data=RevealedPersonalData(
                id_number=customer.id_number, phone=customer.phone, email=customer.email
            ),
        )
