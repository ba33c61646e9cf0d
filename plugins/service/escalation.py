"""Escalation: a ticket whose running deadline is near (at risk) or past
(breached) is raised to the managers of its branch, and a complaint also to
the customer's relationship manager.

Run by the end-of-day batch and by ``crm service escalate`` every few minutes.
Each (ticket, deadline, level, due time) is escalated once: a second run finds
it recorded; a deadline moved on by a pause can be escalated again.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Role
from core.columns import utcnow
from core.db import insert_for
from core.events import EventBus
from plugins.customer.models import Customer
from plugins.security.models import User, UserRole
from plugins.service.events import TicketEscalated
from plugins.service.models import (
    Deadline,
    Escalation,
    EscalationLevel,
    Ticket,
    TicketKind,
    TicketStatus,
)
from plugins.service.settings import service_settings

CLOCK_RUNNING = (TicketStatus.OPEN, TicketStatus.IN_PROGRESS)
"""Waiting for the customer stops the clock; so does resolving."""
CHUNK = 1000
"""Tickets escalated per statement."""


async def escalate_tickets(
    session: AsyncSession, events: EventBus, now: datetime | None = None
) -> list[TicketEscalated]:
    """Escalate every ticket now at risk or breached that is not yet; returns
    the escalations made.

    Only deadlines not yet escalated at the level they have reached are read
    (a deadline breached for weeks costs nothing at each run), a chunk of
    tickets at a time, so that memory stays flat however many fall due."""
    now = now or utcnow()
    warning = timedelta(minutes=service_settings().sla_warning_minutes)
    response = and_(
        Ticket.first_responded_at.is_(None),  # type: ignore[union-attr]
        Ticket.response_due_at <= now + warning,
        _not_yet_escalated(Deadline.FIRST_RESPONSE, Ticket.response_due_at, now),
    )
    resolution = and_(
        Ticket.first_responded_at.is_not(None),  # type: ignore[union-attr]
        Ticket.resolution_due_at <= now + warning,
        _not_yet_escalated(Deadline.RESOLUTION, Ticket.resolution_due_at, now),
    )
    made: list[TicketEscalated] = []
    after_id = 0
    while True:
        chunk = list(
            await session.execute(
                select(Ticket, Customer.relationship_manager_id)
                .join(Customer, Customer.id == Ticket.customer_id)
                .where(
                    Ticket.status.in_(CLOCK_RUNNING),  # type: ignore[attr-defined]
                    or_(response, resolution),
                    Ticket.id > after_id,  # type: ignore[operator]
                )
                .order_by(Ticket.id)
                .limit(CHUNK)
            )
        )
        if not chunk:
            return made
        after_id = chunk[-1][0].id
        made += await _escalate(session, events, chunk, now)


def _not_yet_escalated(deadline: Deadline, due_at: Any, now: datetime) -> ColumnElement[bool]:
    """The ticket's ``deadline``, due at ``due_at``, has no escalation yet at the
    level it has reached by ``now``."""
    level = case(
        (due_at <= now, literal(EscalationLevel.BREACHED.value)),
        else_=literal(EscalationLevel.AT_RISK.value),
    )
    return ~exists().where(
        Escalation.ticket_id == Ticket.id,
        Escalation.deadline == deadline,
        Escalation.due_at == due_at,
        Escalation.level == level,
    )


async def _escalate(
    session: AsyncSession, events: EventBus, chunk: list[Row[Any]], now: datetime
) -> list[TicketEscalated]:
    """Record the chunk's escalations in one statement and announce those recorded
    (one made meanwhile by another run is neither recorded twice nor announced)."""
    due: list[tuple[Ticket, int | None, Deadline, datetime, EscalationLevel]] = []
    for ticket, manager_id in chunk:
        deadline, at = (
            (Deadline.FIRST_RESPONSE, ticket.response_due_at)
            if ticket.first_responded_at is None
            else (Deadline.RESOLUTION, ticket.resolution_due_at)
        )
        level = EscalationLevel.BREACHED if at <= now else EscalationLevel.AT_RISK
        due.append((ticket, manager_id, deadline, at, level))
    managers = await _branch_managers(session, {ticket.queue_branch_id for ticket, *_ in due})
    escalations = []
    for ticket, manager_id, deadline, at, level in due:
        relationship_manager = manager_id if ticket.kind is TicketKind.COMPLAINT else None
        branch = managers.get(ticket.queue_branch_id, ())
        notify = (*branch, *([relationship_manager] if relationship_manager else []))
        event = TicketEscalated(ticket.id, ticket.ticket_no, deadline, level, at, notify)  # type: ignore[arg-type]
        row = {
            "ticket_id": ticket.id,
            "deadline": deadline,
            "level": level,
            "due_at": at,
            "branch_manager_ids": ",".join(map(str, branch)),
            "relationship_manager_id": relationship_manager,
            "escalated_at": now,
        }
        escalations.append((event, row))
    recorded = set(
        await session.scalars(
            insert_for(session, Escalation)
            .values([row for _, row in escalations])
            .on_conflict_do_nothing(
                index_elements=[
                    Escalation.ticket_id,
                    Escalation.deadline,
                    Escalation.level,
                    Escalation.due_at,
                ]
            )
            .returning(Escalation.ticket_id)
        )
    )
    made = [event for event, _ in escalations if event.ticket_id in recorded]
    for event in made:
        await events.publish(event, session)
    return made


async def _branch_managers(
    session: AsyncSession, branch_ids: set[int]
) -> dict[int, tuple[int, ...]]:
    """The active branch managers of each branch, by branch."""
    rows = await session.execute(
        select(User.branch_id, User.id)
        .where(
            User.branch_id.in_(branch_ids),  # type: ignore[union-attr]
            User.is_active,
            exists().where(UserRole.user_id == User.id, UserRole.role == Role.BRANCH_MANAGER),
        )
        .order_by(User.id)
    )
    found: dict[int, list[int]] = defaultdict(list)
    for branch_id, user_id in rows:
        found[branch_id].append(user_id)
    return {branch: tuple(ids) for branch, ids in found.items()}
