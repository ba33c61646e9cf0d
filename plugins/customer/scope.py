"""Which customers a principal may reach: the one filter every customer query uses."""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select, true

from core.authorization import Principal
from core.columns import utcnow
from plugins.customer.models import Customer, CustomerShare


def shared_with(user_id: int) -> ColumnElement[bool]:
    """Customers shared with the user, while the share lasts."""
    return exists(
        select(CustomerShare.id).where(
            CustomerShare.customer_id == Customer.id,
            CustomerShare.shared_with_id == user_id,
            CustomerShare.revoked_at.is_(None),  # type: ignore[union-attr]
            CustomerShare.expires_at > utcnow(),
        )
    )


def in_scope(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause for ``Customer`` rows the principal may see.

    Head office sees every customer; branch staff their branch's; a relationship
    manager the customers they manage. Anyone also sees the customers shared
    with them. Out-of-scope customers must look exactly like missing ones.
    """
    scope = principal.scope
    if scope.is_everything:
        return true()
    if scope.portfolio_of is not None:
        own = Customer.relationship_manager_id == scope.portfolio_of
    else:
        own = Customer.branch_id == scope.branch_id
    return or_(own, shared_with(principal.user_id))


def can_reach(principal: Principal, customer: Customer, shared: bool) -> bool:
    """The same rule for a customer already loaded (``shared``: shared with the principal)."""
    scope = principal.scope
    if scope.is_everything or shared:
        return True
    if scope.portfolio_of is not None:
        return customer.relationship_manager_id == scope.portfolio_of
    return customer.branch_id == scope.branch_id
