"""The customer plugin's own events on the customer timeline: registration,
relationship-manager assignments, tier changes and contacts.

Each kind is one statement for every customer asked about: a window function
numbers each customer's rows newest first and keeps the first ``limit``, so
the cost does not grow with the number of customers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from plugins.customer.models import (
    ContactChannel,
    ContactDirection,
    Customer,
    CustomerTier,
    Interaction,
    ManagerAssignment,
    TierChange,
)
from plugins.customer.timeline import (
    TimelineEvent,
    TimelinePage,
    TimelineQuery,
    key_for,
    newest,
    newest_first,
    older_than,
)
from plugins.security.models import User

SOURCE = "customer"

CHANNEL_WORDS = {
    ContactChannel.CALL: "call",
    ContactChannel.VISIT: "visit",
    ContactChannel.MEETING: "meeting",
    ContactChannel.EMAIL: "e-mail",
    ContactChannel.SMS: "SMS",
    ContactChannel.WECHAT: "WeChat message",
}


async def _registrations(session: AsyncSession, query: TimelineQuery) -> list[TimelineEvent]:
    rows = await session.execute(
        select(Customer.id, Customer.created_at, Customer.customer_no).where(
            Customer.id.in_(query.customer_ids),  # type: ignore[union-attr]
            older_than(query.before, SOURCE, "registered", Customer.created_at, Customer.id),
        )
    )
    return [
        TimelineEvent(
            customer_id=customer_id,
            occurred_at=created_at,
            kind="customer.registered",
            title=f"Registered as customer {customer_no}",
            source=SOURCE,
            key=key_for("registered", customer_id),
        )
        for customer_id, created_at, customer_no in rows
    ]


async def _assignments(session: AsyncSession, query: TimelineQuery) -> list[TimelineEvent]:
    A = ManagerAssignment
    ranked = newest(
        query,
        SOURCE,
        [A.id, A.customer_id, A.assigned_at, A.manager_id, A.previous_manager_id],
        A.customer_id,
        A.assigned_at,
        A.id,
        "assignment",
    ).subquery()
    manager = aliased(User)
    rows = await session.execute(
        select(
            ranked.c.id,
            ranked.c.customer_id,
            ranked.c.assigned_at,
            ranked.c.previous_manager_id,
            manager.display_name,
        )
        .outerjoin(manager, manager.id == ranked.c.manager_id)
        .where(ranked.c.position <= query.limit)
    )
    return [
        TimelineEvent(
            customer_id=customer_id,
            occurred_at=assigned_at,
            kind="customer.manager_assigned",
            title=_assignment_title(name, previous_id),
            source=SOURCE,
            key=key_for("assignment", assignment_id),
        )
        for assignment_id, customer_id, assigned_at, previous_id, name in rows
    ]


def _assignment_title(manager_name: str | None, previous_manager_id: int | None) -> str:
    if manager_name is None:
        return "Relationship manager removed"
    if previous_manager_id is None:
        return f"Relationship manager {manager_name} assigned"
    return f"Relationship manager changed to {manager_name}"


async def _tier_changes(session: AsyncSession, query: TimelineQuery) -> list[TimelineEvent]:
    T = TierChange
    ranked = newest(
        query,
        SOURCE,
        [T.id, T.customer_id, T.changed_at, T.from_tier, T.to_tier],
        T.customer_id,
        T.changed_at,
        T.id,
        "tier",
    ).subquery()
    rows = await session.execute(
        select(
            ranked.c.id,
            ranked.c.customer_id,
            ranked.c.changed_at,
            ranked.c.from_tier,
            ranked.c.to_tier,
        ).where(ranked.c.position <= query.limit)
    )
    order = list(CustomerTier)
    return [
        TimelineEvent(
            customer_id=customer_id,
            occurred_at=changed_at,
            kind="customer.tier_changed",
            title=(
                f"Tier raised from {from_tier} to {to_tier}"
                if order.index(to_tier) > order.index(from_tier)
                else f"Tier lowered from {from_tier} to {to_tier}"
            ),
            source=SOURCE,
            key=key_for("tier", change_id),
        )
        for change_id, customer_id, changed_at, from_tier, to_tier in rows
    ]


async def _interactions(session: AsyncSession, query: TimelineQuery) -> list[TimelineEvent]:
    Contact = Interaction
    ranked = newest(
        query,
        SOURCE,
        [
            Contact.id,
            Contact.customer_id,
            Contact.occurred_at,
            Contact.channel,
            Contact.direction,
            Contact.staff_id,
        ],
        Contact.customer_id,
        Contact.occurred_at,
        Contact.id,
        "interaction",
    ).subquery()
    rows = await session.execute(
        select(
            ranked.c.id,
            ranked.c.customer_id,
            ranked.c.occurred_at,
            ranked.c.channel,
            ranked.c.direction,
            User.display_name,
        )
        .join(User, User.id == ranked.c.staff_id)  # type: ignore[arg-type]
        .where(ranked.c.position <= query.limit)
    )
    return [
        TimelineEvent(
            customer_id=customer_id,
            occurred_at=occurred_at,
            kind="customer.interaction",
            title=_interaction_title(channel, direction, staff_name),
            source=SOURCE,
            key=key_for("interaction", interaction_id),
        )
        for interaction_id, customer_id, occurred_at, channel, direction, staff_name in rows
    ]


def _interaction_title(
    channel: ContactChannel, direction: ContactDirection, staff_name: str
) -> str:
    """ "Outbound call by 王芳", "Inbound WeChat message to 王芳": the summary stays
    out, since free text may hold numbers the timeline must not show."""
    word = CHANNEL_WORDS[channel]
    if direction is ContactDirection.OUTBOUND:
        return f"Outbound {word} by {staff_name}"
    return f"Inbound {word} to {staff_name}"


KINDS: tuple[Callable[[AsyncSession, TimelineQuery], Any], ...] = (
    _registrations,
    _assignments,
    _tier_changes,
    _interactions,
)


async def customer_events(
    session: AsyncSession, query: TimelineQuery
) -> Mapping[int, TimelinePage]:
    """The ``crm_customer_timeline`` answer of the customer plugin."""
    if not query.customer_ids or query.limit <= 0:
        return {}
    found: dict[int, list[TimelineEvent]] = defaultdict(list)
    for kind in KINDS:
        for event in await kind(session, query):
            found[event.customer_id].append(event)
    return {customer_id: newest_first(events) for customer_id, events in found.items()}
