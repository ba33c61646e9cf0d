"""Converting a won lead: the prospect becomes a customer.

The customer is registered by the customer plugin, with its identity checks
and its one-customer-per-identity rule, in the lead's branch, with the lead's
kind, name, phone and e-mail; the lead then points at the customer. The
lead's owner, when an active relationship manager of the branch, becomes the
customer's relationship manager: who won the prospect looks after the
customer. A lead is converted once. A lead is not assessed for a product's suitability here: that
applies to what is offered or sold to a customer, later.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal, Role
from core.errors import BusinessError
from plugins.customer.managers import assign_manager
from plugins.customer.models import Customer
from plugins.customer.registration import Registration, register_customer
from plugins.marketing.leads.models import Lead, LeadStage
from plugins.marketing.leads.pipeline import lead_for_update
from plugins.security.models import Branch, User
from plugins.security.services import roles_of


async def convert_lead(
    session: AsyncSession, by: Principal, lead_id: int | None, id_number: str, today: date
) -> tuple[Lead, Customer]:
    """Register the customer a WON lead became; refuses any other lead with
    LEAD_NOT_WON, a converted one with ALREADY_CONVERTED, and passes on the
    customer plugin's refusals (INVALID_ID_NUMBER, DUPLICATE_CUSTOMER...)."""
    lead = await lead_for_update(session, by, lead_id)
    if lead.customer_id is not None:
        raise BusinessError(
            "ALREADY_CONVERTED", "The lead has already become a customer.", ["input", "leadId"]
        )
    if lead.stage is not LeadStage.WON:
        raise BusinessError(
            "LEAD_NOT_WON", "Only a won lead becomes a customer.", ["input", "leadId"]
        )
    branch = await session.get_one(Branch, lead.branch_id)
    customer = await register_customer(
        session,
        by,
        Registration(
            kind=lead.kind,
            name=lead.name,
            id_number=id_number,
            branch_code=branch.code,
            phone=lead.phone,
            email=lead.email,
        ),
        today,
    )
    if customer.relationship_manager_id != lead.owner_id and await _manages(session, lead):
        await assign_manager(session, customer, lead.owner_id, "Won as a lead.", by.user_id)
    lead.customer_id = customer.id
    session.add(lead)
    await session.flush()
    return lead, customer


async def _manages(session: AsyncSession, lead: Lead) -> bool:
    """Whether the lead's owner is an active relationship manager of its branch."""
    owner = await session.get_one(User, lead.owner_id)
    roles = (await roles_of(session, [lead.owner_id]))[lead.owner_id]
    return (
        owner.is_active
        and owner.branch_id == lead.branch_id
        and (Role.RELATIONSHIP_MANAGER in roles)
    )
