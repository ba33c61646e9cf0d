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

from sqlalchemy import and_, exists, or_, select
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


async def escalate_tickets(
    session: AsyncSession, events: EventBus, now: datetime | None = None
) -> list[TicketEscalated]:
    """Escalate every ticket now at risk or breached that is not yet; returns
    the escalations made."""
    now = now or utcnow()
    warning = timedelta(minutes=service_settings().sla_warning_minutes)
    response = and_(Ticket.first_responded_at.is_(None), Ticket.response_due_at <= now + warning)  # type: ignore[union-attr]
    resolution = and_(
        Ticket.first_responded_at.is_not(None),  # type: ignore[union-attr]
        Ticket.resolution_due_at <= now + warning,
    )
    candidates = await session.execute(
        select(Ticket, Customer.relationship_manager_id)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(
            Ticket.status.in_(CLOCK_RUNNING),  # type: ignore[attr-defined]
            or_(response, resolution),
        )
        .order_by(Ticket.id)
    )
    due: list[tuple[Ticket, int | None, Deadline, datetime, EscalationLevel]] = []
    for ticket, manager_id in candidates:
        deadline, at = (
            (Deadline.FIRST_RESPONSE, ticket.response_due_at)
            if ticket.first_responded_at is None
            else (Deadline.RESOLUTION, ticket.resolution_due_at)
        )
        level = EscalationLevel.BREACHED if at <= now else EscalationLevel.AT_RISK
        due.append((ticket, manager_id, deadline, at, level))
    managers = await _branch_managers(session, {ticket.queue_branch_id for ticket, *_ in due})
    made = []
    for ticket, manager_id, deadline, at, level in due:
        relationship_manager = manager_id if ticket.kind is TicketKind.COMPLAINT else None
        branch = managers.get(ticket.queue_branch_id, ())
        recorded = await session.execute(
            insert_for(session, Escalation)
            .values(
                ticket_id=ticket.id,
                deadline=deadline,
                level=level,
                due_at=at,
                branch_manager_ids=",".join(map(str, branch)),
                relationship_manager_id=relationship_manager,
                escalated_at=now,
            )
            .on_conflict_do_nothing(
                index_elements=[
                    Escalation.ticket_id,
                    Escalation.deadline,
                    Escalation.level,
                    Escalation.due_at,
                ]
            )
        )
        if recorded.rowcount:  # type: ignore[attr-defined]
            notify = (*branch, *([relationship_manager] if relationship_manager else []))
            event = TicketEscalated(ticket.id, ticket.ticket_no, deadline, level, at, notify)  # type: ignore[arg-type]
            await events.publish(event, session)
            made.append(event)
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
