"""Which exceptions a principal may see: those about customers in their scope;
those about the bank's own books (no customer) only head office."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, true

from core.authorization import Principal
from plugins.customer.models import Customer
from plugins.customer.scope import in_scope
from plugins.finance.reconciliation.models import ReconciliationException


def exceptions_in_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.scope.is_everything:
        return true()
    reachable = select(Customer.id).where(in_scope(principal))
    return ReconciliationException.customer_id.in_(reachable)  # type: ignore[union-attr]
