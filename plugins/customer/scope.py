"""Which customers a principal may reach: the one filter every customer query uses."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, or_, select, true

from core.authorization import Principal
from core.columns import UTCDateTime, utcnow
from plugins.customer.models import Customer, CustomerShare


class Reach(enum.Enum):
    """The shape of a data scope, shared by every principal whose own customers
    are found the same way."""

    EVERY_CUSTOMER = "every customer"
    PORTFOLIO = "portfolio"
    BRANCH = "branch"


def shared_with(user_id: Any, now: Any = None) -> ColumnElement[bool]:
    """Customers shared with the user, while the share lasts (at ``now``, by default
    the present moment)."""
    return exists(
        select(CustomerShare.id).where(
            CustomerShare.customer_id == Customer.id,
            CustomerShare.shared_with_id == user_id,
            CustomerShare.revoked_at.is_(None),  # type: ignore[union-attr]
            CustomerShare.expires_at > (utcnow() if now is None else now),
        )
    )


def _reachable(reach: Reach, owner: Any, viewer: Any, now: Any = None) -> ColumnElement[bool]:
    if reach is Reach.EVERY_CUSTOMER:
        return true()
    managed = Customer.relationship_manager_id if reach is Reach.PORTFOLIO else Customer.branch_id
    return or_(managed == owner, shared_with(viewer, now))


def reach_of(principal: Principal) -> tuple[Reach, dict[str, Any]]:
    """The principal's reach, and who they are in it: the values :func:`in_reach`
    takes (``scope_owner``, the branch or manager whose customers are their own;
    ``scope_viewer``, whom shares name)."""
    scope = principal.scope
    if scope.is_everything:
        reach, owner = Reach.EVERY_CUSTOMER, None
    elif scope.portfolio_of is not None:
        reach, owner = Reach.PORTFOLIO, scope.portfolio_of
    else:
        reach, owner = Reach.BRANCH, scope.branch_id
    return reach, {"scope_owner": owner, "scope_viewer": principal.user_id}


def in_scope(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause for ``Customer`` rows the principal may see.

    Head office sees every customer; branch staff their branch's; a relationship
    manager the customers they manage. Anyone also sees the customers shared
    with them. Out-of-scope customers must look exactly like missing ones.
    """
    reach, who = reach_of(principal)
    return _reachable(reach, who["scope_owner"], who["scope_viewer"])


def in_reach(reach: Reach) -> ColumnElement[bool]:
    """:func:`in_scope` for every principal of one ``reach``, who it is given as
    parameters (:func:`reach_of`): for a statement built once and run on every
    request."""
    return _reachable(
        reach,
        bindparam("scope_owner"),
        bindparam("scope_viewer"),
        bindparam("scope_now", callable_=utcnow, type_=UTCDateTime()),
    )


def can_reach(principal: Principal, customer: Customer, shared: bool) -> bool:
    """The same rule for a customer already loaded (``shared``: shared with the principal)."""
    scope = principal.scope
    if scope.is_everything or shared:
        return True
    if scope.portfolio_of is not None:
        return customer.relationship_manager_id == scope.portfolio_of
    return customer.branch_id == scope.branch_id
