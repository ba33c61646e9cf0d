"""Which leads and referrals a principal may reach.

Leads belong to a branch and an owner. Head office sees every lead; branch
staff (a branch manager) their branch's; a relationship manager the leads they
own, as they see the customers they manage. Referrals follow their customer:
whoever may see the customer sees its referrals; the one who made a referral
and the specialist who took it always see it; and a specialist
(``referral.work``) sees the open referrals of their branch's customers (head
office's: every branch's), so that someone picks them up. Out-of-scope leads
and referrals look exactly like missing ones.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select, true

from core.authorization import Principal
from plugins.customer.models import Customer
from plugins.customer.scope import in_scope
from plugins.marketing.leads.models import Lead, Referral, ReferralStatus
from plugins.marketing.permissions import REFERRAL_WORK


def leads_in_scope(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause for the ``Lead`` rows the principal may see."""
    scope = principal.scope
    if scope.is_everything:
        return true()
    if scope.portfolio_of is not None:
        return Lead.owner_id == scope.portfolio_of  # type: ignore[return-value]
    return Lead.branch_id == scope.branch_id  # type: ignore[return-value]


def referrals_in_scope(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause for the ``Referral`` rows the principal may see."""
    if principal.scope.is_everything:
        return true()
    customers = select(Customer.id).where(in_scope(principal))
    seen = [
        Referral.referred_by == principal.user_id,
        Referral.specialist_id == principal.user_id,
        Referral.customer_id.in_(customers),  # type: ignore[attr-defined]
    ]
    if principal.can(REFERRAL_WORK):
        branch_customers = select(Customer.id).where(Customer.branch_id == principal.branch_id)
        seen.append(
            and_(
                Referral.status == ReferralStatus.OPEN,
                Referral.customer_id.in_(branch_customers),  # type: ignore[attr-defined]
            )
        )
    return or_(*seen)
