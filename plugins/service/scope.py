"""Which tickets a principal may reach: those of the customers they may."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true

from core.authorization import Principal
from plugins.customer.models import Customer
from plugins.customer.scope import in_scope
from plugins.service.models import Ticket


def tickets_in_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.scope.is_everything:
        return true()
    reachable = select(Customer.id).where(in_scope(principal))
    return Ticket.customer_id.in_(reachable)  # type: ignore[attr-defined]
