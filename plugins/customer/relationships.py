"""Links between customers (households and corporate ties), and a customer's household.

A link is stored once: ``Relationship(customer_id=A, related_customer_id=B,
kind=SPOUSE)`` says B is A's spouse. Read from B's side it is the inverse kind
(A is B's spouse; a PARENT seen from the other side is a CHILD). A pair of
customers has at most one link, whichever way it was stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, and_, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import flush_or_refuse
from core.errors import BusinessError
from core.plugins import PluginRegistry
from plugins.customer.assets import assets_of
from plugins.customer.models import (
    Customer,
    CustomerKind,
    CustomerStatus,
    Relationship,
    RelationshipKind,
)

K = RelationshipKind
INDIVIDUAL, CORPORATE = CustomerKind.INDIVIDUAL, CustomerKind.CORPORATE

_PAIRS = (
    (K.SPOUSE, K.SPOUSE),
    (K.PARENT, K.CHILD),
    (K.LEGAL_REPRESENTATIVE, K.REPRESENTED_COMPANY),
    (K.SHAREHOLDER, K.INVESTEE),
    (K.EMPLOYEE, K.EMPLOYER),
    (K.GUARANTOR, K.GUARANTEED_PARTY),
)
INVERSE: dict[RelationshipKind, RelationshipKind] = {
    **dict(_PAIRS),
    **{inverse: kind for kind, inverse in _PAIRS},
}
"""What the customer is to the related customer, given what the related one is to them."""

FAMILY_KINDS = frozenset({K.SPOUSE, K.PARENT, K.CHILD})
"""The links that make a household."""


@dataclass(frozen=True)
class PartyRule:
    """Which kinds of customer a link joins: ``customer`` and ``related`` (None: any)."""

    customer: CustomerKind | None
    related: CustomerKind | None
    reason: str

    def inverse(self) -> PartyRule:
        return PartyRule(self.related, self.customer, self.reason)


_FAMILY = PartyRule(INDIVIDUAL, INDIVIDUAL, "family links join two individual customers")
_RULES_ONE_WAY = {
    K.SPOUSE: _FAMILY,
    K.PARENT: _FAMILY,
    K.LEGAL_REPRESENTATIVE: PartyRule(
        CORPORATE, INDIVIDUAL, "a legal representative is an individual acting for a company"
    ),
    K.EMPLOYEE: PartyRule(CORPORATE, INDIVIDUAL, "an employee is an individual a company employs"),
    K.SHAREHOLDER: PartyRule(
        CORPORATE, None, "a shareholder (a person or a company) holds shares in a company"
    ),
    K.GUARANTOR: PartyRule(None, None, "anyone may guarantee anyone"),
}
PARTY_RULES: dict[RelationshipKind, PartyRule] = {
    **{INVERSE[kind]: rule.inverse() for kind, rule in _RULES_ONE_WAY.items()},
    **_RULES_ONE_WAY,
}


@dataclass(frozen=True)
class Link:
    """A relationship as one of its two customers sees it: ``other_id`` is their ``kind``."""

    id: int
    customer_id: int
    other_id: int
    kind: RelationshipKind
    since: datetime


def seen_from(relationship: Relationship, customer_id: int) -> Link:
    """``relationship`` from ``customer_id``'s side (either of its two customers)."""
    if relationship.customer_id == customer_id:
        other_id, kind = relationship.related_customer_id, relationship.kind
    else:
        other_id, kind = relationship.customer_id, INVERSE[relationship.kind]
    return Link(relationship.id, customer_id, other_id, kind, relationship.created_at)  # type: ignore[arg-type]


def _words(kind: RelationshipKind) -> str:
    return kind.value.lower().replace("_", " ")


def check_parties(customer: Customer, related: Customer, kind: RelationshipKind) -> None:
    """Refuse a link whose kind does not fit the two customers (INVALID_RELATIONSHIP)."""
    rule = PARTY_RULES[kind]
    if (rule.customer is None or customer.kind is rule.customer) and (
        rule.related is None or related.kind is rule.related
    ):
        return
    raise BusinessError(
        "INVALID_RELATIONSHIP",
        f"{related.name} cannot be {customer.name}'s {_words(kind)}: {rule.reason}.",
        ["input", "kind"],
    )


def _between(a: int, b: int) -> ColumnElement[bool]:
    R = Relationship
    return or_(
        and_(R.customer_id == a, R.related_customer_id == b),
        and_(R.customer_id == b, R.related_customer_id == a),
    )


def _duplicate(customer: Customer, related: Customer) -> BusinessError:
    return BusinessError(
        "DUPLICATE_RELATIONSHIP",
        f"{customer.name} and {related.name} are already linked; unlink them first "
        "to link them another way.",
        ["input", "relatedCustomerId"],
    )


async def link_customers(
    session: AsyncSession, customer: Customer, related: Customer, kind: RelationshipKind
) -> Relationship:
    """Record that ``related`` is ``customer``'s ``kind``.

    Refused: a customer with themself (SAME_CUSTOMER), a kind that does not fit
    the two customers (INVALID_RELATIONSHIP), a closed customer (CUSTOMER_CLOSED),
    a pair already linked either way (DUPLICATE_RELATIONSHIP). Both customers'
    rows are locked first, so that two requests linking one pair in opposite
    directions cannot both pass the duplicate check.
    """
    if customer.id == related.id:
        raise BusinessError(
            "SAME_CUSTOMER",
            "A customer cannot be linked with themself.",
            ["input", "relatedCustomerId"],
        )
    check_parties(customer, related, kind)
    locked = await session.execute(
        select(Customer.id, Customer.status)
        .where(Customer.id.in_([customer.id, related.id]))  # type: ignore[union-attr]
        .order_by(Customer.id)
        .with_for_update()
    )
    statuses = dict(locked.all())
    for party, field in ((customer, "customerId"), (related, "relatedCustomerId")):
        if statuses.get(party.id) is not CustomerStatus.ACTIVE:
            raise BusinessError(
                "CUSTOMER_CLOSED", f"{party.name} is a closed customer.", ["input", field]
            )
    existing = await session.scalar(
        select(Relationship.id).where(_between(customer.id, related.id)).limit(1)  # type: ignore[arg-type]
    )
    if existing is not None:
        raise _duplicate(customer, related)
    relationship = Relationship(
        customer_id=customer.id,  # type: ignore[arg-type]
        related_customer_id=related.id,  # type: ignore[arg-type]
        kind=kind,
    )
    session.add(relationship)
    await flush_or_refuse(session, _duplicate(customer, related))
    return relationship


async def unlink_customers(session: AsyncSession, relationship_id: int | None) -> Relationship:
    """Remove a link (either customer may be closed); NOT_FOUND if there is none."""
    relationship = (
        await session.get(Relationship, relationship_id) if relationship_id is not None else None
    )
    if relationship is None:
        raise BusinessError(
            "NOT_FOUND", "There is no such relationship.", ["input", "relationshipId"]
        )
    await session.delete(relationship)
    await session.flush()
    return relationship


async def links_of(session: AsyncSession, customer_ids: Sequence[int]) -> dict[int, list[Link]]:
    """Every link of each customer, from their side, oldest first, in one statement."""
    found: dict[int, list[Link]] = {customer_id: [] for customer_id in customer_ids}
    R = Relationship
    rows = await session.scalars(
        select(R)
        .where(or_(R.customer_id.in_(found), R.related_customer_id.in_(found)))  # type: ignore[attr-defined]
        .order_by(R.created_at, R.id)
    )
    for relationship in rows:
        for side in (relationship.customer_id, relationship.related_customer_id):
            if side in found:
                found[side].append(seen_from(relationship, side))
    return found


@dataclass(frozen=True)
class Household:
    """A customer and the relatives linked to them (spouse, parents, children),
    with what they hold together. The customer comes first."""

    customer_id: int
    member_ids: tuple[int, ...]
    combined_assets: Decimal


async def households_of(
    session: AsyncSession,
    plugins: PluginRegistry,
    customer_ids: Iterable[int],
    *,
    within: ColumnElement[bool] | None = None,
) -> dict[int, Household]:
    """Each customer's household: the customer plus every active customer one
    family link away, in either direction. ``within`` (a WHERE clause on
    ``Customer``, such as the viewer's scope) leaves out the relatives it does not
    match, and their assets with them. One statement for the relatives, then one
    for all the members' assets."""
    ids = list(dict.fromkeys(customer_ids))
    if not ids:
        return {}
    R = Relationship
    family = R.kind.in_(FAMILY_KINDS)  # type: ignore[attr-defined]
    links = union_all(
        select(R.customer_id.label("owner"), R.related_customer_id.label("relative")).where(  # type: ignore[attr-defined]
            family,
            R.customer_id.in_(ids),  # type: ignore[attr-defined]
        ),
        select(R.related_customer_id.label("owner"), R.customer_id.label("relative")).where(  # type: ignore[attr-defined]
            family,
            R.related_customer_id.in_(ids),  # type: ignore[attr-defined]
        ),
    ).subquery()
    rows = await session.execute(
        select(links.c.owner, links.c.relative)
        .join(Customer, Customer.id == links.c.relative)  # type: ignore[arg-type]
        .where(Customer.status == CustomerStatus.ACTIVE, within if within is not None else true())
        .order_by(links.c.owner, links.c.relative)
    )
    members: dict[int, list[int]] = {customer_id: [customer_id] for customer_id in ids}
    for owner, relative in rows:
        if relative not in members[owner]:
            members[owner].append(relative)
    assets = await assets_of(session, plugins, {m for group in members.values() for m in group})
    return {
        customer_id: Household(
            customer_id, tuple(group), sum((assets[m] for m in group), Decimal("0.00"))
        )
        for customer_id, group in members.items()
    }


async def household_of(
    session: AsyncSession,
    plugins: PluginRegistry,
    customer_id: int,
    *,
    within: ColumnElement[bool] | None = None,
) -> Household:
    """One customer's household (see :func:`households_of`)."""
    return (await households_of(session, plugins, [customer_id], within=within))[customer_id]
