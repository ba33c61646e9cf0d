"""Audiences: a customer filter (the customer plugin's, as front ends know it)
and this plugin's own criteria (:mod:`plugins.marketing.criteria`), kept as
JSON in a segment or a campaign, and turned back into SQL when used, within
the data scope of whoever uses it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from core.authorization import Principal
from core.errors import BusinessError, RequestError
from core.plugins import PluginRegistry
from plugins.customer.api.customers import CustomerFilter, filtered
from plugins.customer.models import (
    Customer,
    CustomerKind,
    CustomerStatus,
    CustomerTier,
    RiskProfile,
)
from plugins.customer.scope import in_scope
from plugins.marketing.criteria import (
    CRITERIA_KEYS,
    Calendar,
    Criteria,
    checked_criteria,
    criteria_clauses,
)


def filter_to_json(given: CustomerFilter) -> dict[str, Any]:
    """The filter as plain JSON (only the criteria it sets)."""
    found: dict[str, Any] = {}
    for name, value in vars(given).items():
        if value is None:
            continue
        if isinstance(value, list):
            value = [str(item.value) if hasattr(item, "value") else str(item) for item in value]
        elif isinstance(value, relay.GlobalID | Decimal):
            value = str(value)
        elif hasattr(value, "value"):
            value = value.value
        found[name] = value
    return found


def filter_from_json(rules: dict[str, Any]) -> CustomerFilter:
    """The customer filter in saved rules (their other criteria left out)."""
    given = {name: value for name, value in rules.items() if name not in CRITERIA_KEYS}
    enums = {"tier": CustomerTier, "risk_profile": RiskProfile, "status": CustomerStatus}
    for name, kind in enums.items():
        if name in given:
            given[name] = [kind(value) for value in given[name]]
    if "kind" in given:
        given["kind"] = CustomerKind(given["kind"])
    if "relationship_manager_id" in given:
        given["relationship_manager_id"] = relay.GlobalID.from_id(given["relationship_manager_id"])
    for name in ("assets_from", "assets_below"):
        if name in given:
            given[name] = Decimal(given[name])
    return CustomerFilter(**given)


def checked_rules(rules: dict[str, Any], plugins: PluginRegistry) -> dict[str, Any]:
    """``rules`` if they can be evaluated, so that a saved audience never fails
    when it is used; otherwise the refusal the evaluation gives (e.g.
    INVALID_AMOUNT), as a business error."""
    try:
        filtered(select(Customer.id), filter_from_json(rules), plugins)
    except RequestError as error:
        code = (error.extensions or {}).get("code", "INVALID_AUDIENCE")
        raise BusinessError(code, error.message, ["input"]) from None
    return rules


async def checked_audience(
    session: AsyncSession,
    plugins: PluginRegistry,
    rules: dict[str, Any],
    today: date,
    at: Sequence[str],
) -> dict[str, Any]:
    """``rules`` (a customer filter and criteria) if they can be evaluated;
    otherwise the refusal, as a business error, before anything is saved."""
    checked_rules(rules, plugins)
    await checked_criteria(session, plugins, Criteria.from_json(rules), today, at)
    return rules


def audience_of(
    rules: dict[str, Any],
    principal: Principal,
    plugins: PluginRegistry,
    branch_id: int | None = None,
    *,
    calendar: Calendar,
) -> Select[tuple[int]]:
    """The ids of the active customers ``rules`` select: of ``branch_id`` when
    given (a branch's campaign), else those ``principal`` may reach. Closed
    customers never, whatever the rules say. Ages and dates in the rules are
    the bank's, on ``calendar``."""
    reach = Customer.branch_id == branch_id if branch_id is not None else in_scope(principal)
    statement = select(Customer.id).where(reach)
    audience = filtered(statement, filter_from_json(rules), plugins)
    criteria = criteria_clauses(Criteria.from_json(rules), plugins, calendar)
    return audience.where(Customer.status == CustomerStatus.ACTIVE, *criteria)
