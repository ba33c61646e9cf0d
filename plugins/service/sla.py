"""Service-level agreements: how long the bank takes to answer and to resolve.

The matrix (``SlaPolicy``) gives business minutes by ticket kind, priority and
customer tier; the bank's standard matrix is seeded and head office may change
any cell. A ticket's deadlines are set when it is opened; while it waits for
the customer the clock stops, and when it comes back both deadlines still
running move on by the business time it waited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.db import insert_for
from core.errors import ConfigurationError
from plugins.customer.models import CustomerTier
from plugins.service.calendar import ServiceCalendar
from plugins.service.models import Deadline, SlaPolicy, Ticket, TicketKind, TicketPriority

BUSINESS_DAY = 8 * 60
RESPONSE_MINUTES = {
    TicketPriority.URGENT: 30,
    TicketPriority.HIGH: 60,
    TicketPriority.NORMAL: 120,
    TicketPriority.LOW: 240,
}
RESOLUTION_DAYS = {
    TicketKind.CONSULTATION: {"URGENT": 0.5, "HIGH": 1, "NORMAL": 2, "LOW": 3},
    TicketKind.REQUEST: {"URGENT": 1, "HIGH": 2, "NORMAL": 3, "LOW": 5},
    TicketKind.AFTER_SALES: {"URGENT": 1, "HIGH": 3, "NORMAL": 5, "LOW": 8},
    # within the 15 days regulators allow for a complaint
    TicketKind.COMPLAINT: {"URGENT": 2, "HIGH": 5, "NORMAL": 10, "LOW": 10},
}
TIER_FACTOR = {
    CustomerTier.MASS: 1.0,
    CustomerTier.AFFLUENT: 1.0,
    CustomerTier.WEALTH: 0.75,
    CustomerTier.PRIVATE: 0.5,
}
"""Important customers are answered and served faster."""


def standard_matrix() -> list[SlaPolicy]:
    return [
        SlaPolicy(
            kind=kind,
            priority=priority,
            tier=tier,
            response_minutes=int(RESPONSE_MINUTES[priority] * factor),
            resolution_minutes=int(days[priority.value] * BUSINESS_DAY * factor),
        )
        for kind, days in RESOLUTION_DAYS.items()
        for priority in TicketPriority
        for tier, factor in TIER_FACTOR.items()
    ]


async def seed_standard_matrix(session: AsyncSession) -> None:
    """Insert the cells of the standard matrix that are missing."""
    keys = [SlaPolicy.kind, SlaPolicy.priority, SlaPolicy.tier]
    for policy in standard_matrix():
        await session.execute(
            insert_for(session, SlaPolicy)
            .values(policy.model_dump())
            .on_conflict_do_nothing(index_elements=keys)
        )


@dataclass(frozen=True)
class Deadlines:
    response_due_at: datetime
    resolution_due_at: datetime


async def deadlines_for(
    session: AsyncSession,
    calendar: ServiceCalendar,
    kind: TicketKind,
    priority: TicketPriority,
    tier: CustomerTier,
    opened_at: datetime,
) -> Deadlines:
    policy = await session.get(SlaPolicy, (kind, priority, tier))
    if policy is None:
        raise ConfigurationError(f"the SLA matrix has no cell for {kind}, {priority}, {tier}")
    return Deadlines(
        response_due_at=calendar.add(opened_at, policy.response_minutes),
        resolution_due_at=calendar.add(opened_at, policy.resolution_minutes),
    )


def running_deadline(ticket: Ticket) -> tuple[Deadline, datetime] | None:
    """The deadline the ticket is working to: the first response until there
    is one, then the resolution; None once resolved."""
    if ticket.resolved_at is not None:
        return None
    if ticket.first_responded_at is None:
        return Deadline.FIRST_RESPONSE, ticket.response_due_at
    return Deadline.RESOLUTION, ticket.resolution_due_at


def resume(ticket: Ticket, calendar: ServiceCalendar, now: datetime) -> None:
    """Restart the clock of a ticket back from waiting for the customer (it was
    answered, by being put to wait, so only the resolution deadline moves)."""
    if ticket.paused_at is None:
        return
    waited = int(calendar.between(ticket.paused_at, now).total_seconds() // 60)
    ticket.resolution_due_at = calendar.add(ticket.resolution_due_at, waited)
    ticket.waited_minutes += waited
    ticket.paused_at = None


def breached(ticket: Ticket, now: datetime) -> bool:
    """Whether the ticket missed (or is past) either deadline; the clock stops
    while it waits for the customer and once it is resolved."""
    answered = ticket.first_responded_at or now
    stopped = ticket.resolved_at or ticket.paused_at or now
    return answered > ticket.response_due_at or stopped > ticket.resolution_due_at
