"""Segment criteria beyond the customer filter: age, products held or not held,
last contact before a date, and balance change since a date.

They are kept in a segment's (or a campaign's) JSON rules beside the customer
filter's keys (:data:`CRITERIA_KEYS`), so rules saved before they existed keep
working. Each becomes a WHERE clause over ``Customer.id`` (a comparison, or an
IN / NOT IN over a subquery the database evaluates once), never a loop over
customers in Python: an audience of any size is one statement.
"""

from __future__ import annotations

import calendar as months
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, false, func, select, true, union, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BusinessError
from core.money import LARGEST, to_minor_units
from core.plugins import PluginRegistry
from core.settings import Settings
from plugins.customer.contacts import last_contacts
from plugins.customer.models import Customer
from plugins.marketing.models import Campaign, MarketingProduct, Membership, MembershipStatus

CRITERIA_KEYS = frozenset(
    {
        "age_from",
        "age_to",
        "holds_products",
        "lacks_products",
        "last_contact_before",
        "balance_change",
    }
)
"""The keys of saved rules that are criteria of this module, not of the customer filter."""
OLDEST = 150
"""No customer is older: an age beyond it is a typing mistake."""


@dataclass(frozen=True)
class Calendar:
    """The bank's today and time zone: ages are counted on ``today``, and a
    date (last contact before...) starts at midnight in ``zone``."""

    today: date
    zone: ZoneInfo

    @classmethod
    def of(cls, settings: Settings) -> Calendar:
        return cls(today=settings.today(), zone=settings.zone)

    def start_of(self, day: date) -> datetime:
        """The moment ``day`` begins at the bank, in UTC (as moments are stored)."""
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)


@dataclass(frozen=True)
class BalanceChange:
    """How much a customer's CNY balances changed from the start of ``since``
    until now: at least ``at_least`` and at most ``at_most`` CNY (negative
    for a fall); either bound may be left out, not both."""

    since: date
    at_least: Decimal | None = None
    at_most: Decimal | None = None

    def admits(self, change: Decimal) -> bool:
        return (self.at_least is None or change >= self.at_least) and (
            self.at_most is None or change <= self.at_most
        )


@dataclass(frozen=True)
class Criteria:
    """The criteria a segment's rules set beyond the customer filter; products
    are codes, upper case. Customers must hold every one of ``holds_products``
    and none of ``lacks_products``."""

    age_from: int | None = None
    age_to: int | None = None
    holds_products: tuple[str, ...] = field(default=())
    lacks_products: tuple[str, ...] = field(default=())
    last_contact_before: date | None = None
    balance_change: BalanceChange | None = None

    @classmethod
    def from_json(cls, rules: dict[str, Any]) -> Criteria:
        """The criteria in saved rules (none for rules saved before criteria existed)."""
        change = rules.get("balance_change")
        return cls(
            age_from=rules.get("age_from"),
            age_to=rules.get("age_to"),
            holds_products=tuple(rules.get("holds_products") or ()),
            lacks_products=tuple(rules.get("lacks_products") or ()),
            last_contact_before=_date(rules.get("last_contact_before")),
            balance_change=BalanceChange(
                since=date.fromisoformat(change["since"]),
                at_least=_decimal(change.get("at_least")),
                at_most=_decimal(change.get("at_most")),
            )
            if change
            else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The criteria set, as JSON for saved rules (only those set)."""
        found: dict[str, Any] = {}
        if self.age_from is not None:
            found["age_from"] = self.age_from
        if self.age_to is not None:
            found["age_to"] = self.age_to
        if self.holds_products:
            found["holds_products"] = list(self.holds_products)
        if self.lacks_products:
            found["lacks_products"] = list(self.lacks_products)
        if self.last_contact_before is not None:
            found["last_contact_before"] = self.last_contact_before.isoformat()
        if (change := self.balance_change) is not None:
            found["balance_change"] = {"since": change.since.isoformat()} | {
                name: str(value)
                for name, value in (("at_least", change.at_least), ("at_most", change.at_most))
                if value is not None
            }
        return found


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def product_codes(codes: Sequence[str] | None) -> tuple[str, ...]:
    """Codes as the catalogue writes them (trimmed, upper case), each once, in order."""
    return tuple(dict.fromkeys(code.strip().upper() for code in codes or ()))


# ---------------------------------------------------------------- checking


async def checked_criteria(
    session: AsyncSession,
    plugins: PluginRegistry,
    criteria: Criteria,
    today: date,
    at: Sequence[str],
) -> Criteria:
    """``criteria`` if they can be evaluated; otherwise a business error whose
    field is under ``at`` (the input the criteria came in)."""

    def refuse(code: str, message: str, name: str) -> BusinessError:
        return BusinessError(code, message, [*at, name])

    for name, age in (("ageFrom", criteria.age_from), ("ageTo", criteria.age_to)):
        if age is not None and not 0 <= age <= OLDEST:
            raise refuse("INVALID_AGE", f"An age is from 0 to {OLDEST} years.", name)
    if (
        criteria.age_from is not None
        and criteria.age_to is not None
        and criteria.age_from > criteria.age_to
    ):
        raise refuse("INVALID_AGE_RANGE", "The age range ends before it starts.", "ageTo")
    if both := set(criteria.holds_products) & set(criteria.lacks_products):
        raise refuse(
            "CONFLICTING_PRODUCTS",
            f"A customer cannot both hold and lack {', '.join(sorted(both))}.",
            "lacksProducts",
        )
    for name, codes in (
        ("holdsProducts", criteria.holds_products),
        ("lacksProducts", criteria.lacks_products),
    ):
        if unknown := await unknown_products(session, plugins, codes):
            raise refuse("UNKNOWN_PRODUCT", f"There is no product {', '.join(unknown)}.", name)
    if criteria.last_contact_before is not None and criteria.last_contact_before > today:
        raise refuse(
            "DATE_IN_FUTURE", "Last contact is counted before a day that came.", "lastContactBefore"
        )
    if criteria.balance_change is not None:
        _check_balance_change(plugins, criteria.balance_change, today, [*at, "balanceChange"])
    return criteria


def _check_balance_change(
    plugins: PluginRegistry, rule: BalanceChange, today: date, at: list[str]
) -> None:
    if not _balance_change_parts(plugins, rule.since):
        raise BusinessError(
            "CRITERION_UNAVAILABLE",
            "Balance changes are known only when the finance module is enabled.",
            at,
        )
    if rule.since > today:
        raise BusinessError(
            "DATE_IN_FUTURE", "A change is counted since a day that came.", [*at, "since"]
        )
    if rule.at_least is None and rule.at_most is None:
        raise BusinessError(
            "BOUND_REQUIRED", "Say how much the balance changed: at least, at most, or both.", at
        )
    for name, amount in (("atLeast", rule.at_least), ("atMost", rule.at_most)):
        if amount is not None and not _exact_fen(amount):
            raise BusinessError(
                "INVALID_AMOUNT",
                f"The amount is exact to the fen and at most {LARGEST:,} either way.",
                [*at, name],
            )
    if rule.at_least is not None and rule.at_most is not None and rule.at_least > rule.at_most:
        raise BusinessError(
            "INVALID_AMOUNT_RANGE", "At least is more than at most.", [*at, "atMost"]
        )


def _exact_fen(amount: Decimal) -> bool:
    if not amount.is_finite() or abs(amount) > LARGEST:
        return False
    try:
        to_minor_units(amount)
    except (ValueError, InvalidOperation):
        return False
    return True


async def unknown_products(
    session: AsyncSession, plugins: PluginRegistry, codes: Sequence[str]
) -> list[str]:
    """The codes among ``codes`` that name no product: neither one in the
    marketing catalogue nor one some customer holds with another plugin."""
    if not codes:
        return []
    catalogued = select(MarketingProduct.code.label("code")).where(  # type: ignore[attr-defined]
        MarketingProduct.code.in_(codes)  # type: ignore[attr-defined]
    )
    held = [
        select(part.c.product_code.label("code")).where(part.c.product_code.in_(codes))
        for part in _holdings(plugins)
    ]
    known = set(await session.scalars(union(catalogued, *held)))
    return [code for code in codes if code not in known]


# ---------------------------------------------------------------- evaluating


def criteria_clauses(
    criteria: Criteria, plugins: PluginRegistry, calendar: Calendar
) -> list[ColumnElement[bool]]:
    """The WHERE clauses over ``Customer`` the criteria make (none when none are set)."""
    clauses: list[ColumnElement[bool]] = []
    if criteria.age_from is not None:
        clauses.append(Customer.birth_date <= _years_before(calendar.today, criteria.age_from))  # type: ignore[operator]
    if criteria.age_to is not None:
        clauses.append(Customer.birth_date > _years_before(calendar.today, criteria.age_to + 1))  # type: ignore[operator]
    for code in criteria.holds_products:
        clauses.append(Customer.id.in_(holders(plugins, [code])))  # type: ignore[union-attr]
    if criteria.lacks_products:
        clauses.append(Customer.id.not_in(holders(plugins, criteria.lacks_products)))  # type: ignore[union-attr]
    if criteria.last_contact_before is not None:
        clauses.append(_not_contacted_since(calendar.start_of(criteria.last_contact_before)))
    if criteria.balance_change is not None:
        clauses.append(_balance_changed(plugins, criteria.balance_change))
    return clauses


def _years_before(day: date, years: int) -> date:
    """The same day ``years`` years earlier; 29 February becomes the 28th in a
    common year (so someone born on 29 February comes of age on 1 March)."""
    year = day.year - years
    if day.month == 2 and day.day == 29 and not months.isleap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def holders(plugins: PluginRegistry, codes: Sequence[str]) -> Select[tuple[int]]:
    """The ids of customers holding any of ``codes``: a holding another plugin
    reports, or a conversion in a campaign for the product."""
    converted = (
        select(Membership.customer_id)
        .join(Campaign, Campaign.id == Membership.campaign_id)  # type: ignore[arg-type]
        .join(MarketingProduct, MarketingProduct.id == Campaign.product_id)  # type: ignore[arg-type]
        .where(
            Membership.status == MembershipStatus.CONVERTED,
            MarketingProduct.code.in_(codes),  # type: ignore[attr-defined]
        )
    )
    held = [
        select(part.c.customer_id).where(part.c.product_code.in_(codes))
        for part in _holdings(plugins)
    ]
    return union_all(converted, *held) if held else converted  # type: ignore[return-value]


def _holdings(plugins: PluginRegistry) -> list[Any]:
    return [
        answer.subquery() for answer in plugins.hook.crm_marketing_holdings() if answer is not None
    ]


def _not_contacted_since(moment: datetime) -> ColumnElement[bool]:
    """Nobody recorded a contact with the customer at or after ``moment``
    (customers never contacted included)."""
    last = last_contacts().subquery("last_contacts")
    return Customer.id.not_in(  # type: ignore[union-attr]
        select(last.c.customer_id).where(last.c.last_contact_at >= moment)
    )


def _balance_change_parts(plugins: PluginRegistry, since: date) -> list[Any]:
    return [
        answer
        for answer in plugins.hook.crm_marketing_balance_changes(since=since)
        if answer is not None
    ]


def _balance_changed(plugins: PluginRegistry, rule: BalanceChange) -> ColumnElement[bool]:
    """The customers whose balances changed as ``rule`` says. Customers without
    a movement changed by nothing: when nothing is within the rule, they are
    in, and the clause is "not among those who moved outside it"; so it is
    always one subquery over movements, never one per customer. Nobody, when
    no plugin reports balances (any more) for a rule saved before."""
    parts = _balance_change_parts(plugins, rule.since)
    if not parts:
        return false()
    moves = union_all(*parts).subquery("moves")
    changes = (
        select(moves.c.customer_id, func.sum(moves.c.change).label("change"))
        .group_by(moves.c.customer_id)
        .subquery("changes")
    )
    within = and_(
        changes.c.change >= to_minor_units(rule.at_least) if rule.at_least is not None else true(),
        changes.c.change <= to_minor_units(rule.at_most) if rule.at_most is not None else true(),
    )
    if rule.admits(Decimal(0)):
        return Customer.id.not_in(select(changes.c.customer_id).where(~within))  # type: ignore[union-attr]
    return Customer.id.in_(select(changes.c.customer_id).where(within))  # type: ignore[union-attr]
