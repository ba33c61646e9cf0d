"""The rules of a segment or a campaign's audience, as GraphQL inputs: the
customer filter, and this plugin's criteria beside it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry

from core.errors import BusinessError
from plugins.customer.api.customers import CustomerFilter
from plugins.marketing.audience import filter_to_json
from plugins.marketing.criteria import BalanceChange, Criteria, product_codes


@strawberry.input(description="How much a customer's CNY balances changed since a date.")
class BalanceChangeRule:
    since: date = strawberry.field(description="From the start of this day until now.")
    at_least: Decimal | None = strawberry.field(
        default=None, description="At least this many CNY; negative for a fall."
    )
    at_most: Decimal | None = strawberry.field(
        default=None, description="At most this many CNY; negative for a fall."
    )


@strawberry.input(description="Who a segment or a campaign selects: customers meeting every rule.")
class SegmentRules:
    customers: CustomerFilter | None = strawberry.field(
        default=None, description="Who they are: tier, assets, branch, manager, tags..."
    )
    age_from: int | None = strawberry.field(
        default=None, description="At least this old today, in whole years."
    )
    age_to: int | None = strawberry.field(
        default=None, description="At most this old today, in whole years."
    )
    holds_products: list[str] | None = strawberry.field(
        default=None,
        description="Product codes the customer holds every one of (an account, a loan, "
        "or a sale in a campaign).",
    )
    lacks_products: list[str] | None = strawberry.field(
        default=None, description="Product codes the customer holds none of."
    )
    last_contact_before: date | None = strawberry.field(
        default=None, description="No contact recorded on or after this day (or ever)."
    )
    balance_change: BalanceChangeRule | None = strawberry.field(
        default=None, description="Needs the finance module."
    )


def rules_to_json(given: SegmentRules) -> dict[str, Any]:
    """The rules as saved: the customer filter's keys and the criteria's."""
    change = given.balance_change
    criteria = Criteria(
        age_from=given.age_from,
        age_to=given.age_to,
        holds_products=product_codes(given.holds_products),
        lacks_products=product_codes(given.lacks_products),
        last_contact_before=given.last_contact_before,
        balance_change=BalanceChange(change.since, change.at_least, change.at_most)
        if change is not None
        else None,
    )
    return filter_to_json(given.customers or CustomerFilter()) | criteria.to_json()


def audience_json(
    customers: CustomerFilter | None,
    rules: SegmentRules | None,
    names: tuple[str, str],
) -> dict[str, Any] | None:
    """The JSON of whichever of the two inputs (named ``names``) is given: a
    bare customer filter, as clients have long sent, or full rules. Both at
    once is ambiguous, and refused."""
    if customers is not None and rules is not None:
        raise BusinessError(
            "AMBIGUOUS_RULES",
            f"Give {names[0]} or {names[1]}, not both.",
            ["input", names[1]],
        )
    if rules is not None:
        return rules_to_json(rules)
    return filter_to_json(customers) if customers is not None else None
