"""A ticket's life: opened with its SLA deadlines, moved through its statuses
by the rules of :data:`TRANSITIONS`, commented on and assigned.

Every change is made on the ticket row locked for update, so two agents
moving one ticket at once queue instead of overwriting each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import PermissionTable, Principal
from core.columns import utcnow
from core.errors import BusinessError
from core.row_lock import locked_row
from core.settings import Settings
from core.validation import clean_text
from plugins.customer.contacts import staff_who_can_reach
from plugins.customer.models import Customer, CustomerStatus
from plugins.security.services import active_user_may
from plugins.service.calendar import service_calendar
from plugins.service.models import (
    REFERENCE_MAX,
    SUBJECT_MAX,
    TEXT_MAX,
    Complaint,
    Ticket,
    TicketChannel,
    TicketComment,
    TicketKind,
    TicketPriority,
    TicketStatus,
    TicketTransition,
)
from plugins.service.numbers import next_ticket_no
from plugins.service.permissions import TICKET_WORK
from plugins.service.scope import tickets_in_scope
from plugins.service.sla import deadlines_for, resume

S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.OPEN: frozenset({S.IN_PROGRESS, S.PENDING_CUSTOMER, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.PENDING_CUSTOMER, S.RESOLVED}),
    S.PENDING_CUSTOMER: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset(),
}
"""Where a ticket may go from each status; RESOLVED back to IN_PROGRESS reopens it."""


@dataclass(frozen=True)
class Opening:
    kind: TicketKind
    priority: TicketPriority
    subject: str
    description: str
    channel: TicketChannel = TicketChannel.BRANCH_COUNTER
    account_no: str | None = None
    transaction_reference: str | None = None


async def open_ticket(
    session: AsyncSession, settings: Settings, by: Principal, customer: Customer, asked: Opening
) -> Ticket:
    """Open a ticket for ``customer`` (already checked to be in the caller's
    scope), in the queue of the customer's branch, its deadlines set by the
    SLA matrix for the customer's tier."""
    if customer.status is CustomerStatus.CLOSED:
        raise BusinessError("CUSTOMER_CLOSED", "The customer is closed.", ["input", "customerId"])
    now = utcnow()
    calendar = await service_calendar(session, settings.zone)
    due = await deadlines_for(session, calendar, asked.kind, asked.priority, customer.tier, now)
    ticket = Ticket(
        ticket_no=await next_ticket_no(session),
        customer_id=customer.id,  # type: ignore[arg-type]
        kind=asked.kind,
        channel=asked.channel,
        priority=asked.priority,
        subject=clean_text(asked.subject, field=["input", "subject"], max_length=SUBJECT_MAX),
        description=clean_text(
            asked.description, field=["input", "description"], max_length=TEXT_MAX
        ),
        account_no=_reference(asked.account_no, "accountNo"),
        transaction_reference=_reference(asked.transaction_reference, "transactionReference"),
        queue_branch_id=customer.branch_id,
        tier=customer.tier,
        response_due_at=due.response_due_at,
        resolution_due_at=due.resolution_due_at,
        created_by=by.user_id,
        created_at=now,
    )
    session.add(ticket)
    await session.flush()
    if ticket.kind is TicketKind.COMPLAINT:
        received_on = now.astimezone(settings.zone).date()
        session.add(Complaint(ticket_id=ticket.id, received_on=received_on))  # type: ignore[arg-type]
    return ticket


def _reference(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    return (
        clean_text(value, field=["input", field], max_length=REFERENCE_MAX, required=False) or None
    )


async def ticket_for_update(
    session: AsyncSession, principal: Principal, ticket_id: int | None
) -> Ticket:
    """The ticket, locked, if the principal may reach it; TICKET_NOT_FOUND alike otherwise."""
    ticket = await locked_row(session, Ticket, ticket_id, tickets_in_scope(principal))
    if ticket is None:
        raise BusinessError("TICKET_NOT_FOUND", "There is no such ticket.", ["input", "ticketId"])
    return ticket


async def transition_ticket(
    session: AsyncSession,
    settings: Settings,
    by: Principal,
    ticket_id: int | None,
    to: TicketStatus,
    comment: str | None,
) -> Ticket:
    ticket = await ticket_for_update(session, by, ticket_id)
    note = clean_text(
        comment or "", field=["input", "comment"], max_length=TEXT_MAX, required=False
    )
    if to not in TRANSITIONS[ticket.status]:
        raise BusinessError(
            "ILLEGAL_TRANSITION",
            f"A ticket cannot go from {ticket.status.value} to {to.value}.",
            ["input", "status"],
        )
    if to is S.RESOLVED and not note:
        raise BusinessError(
            "RESOLUTION_REQUIRED",
            "Say how the ticket was resolved: the comment is its resolution note.",
            ["input", "comment"],
        )
    if ticket.status is S.RESOLVED and to is S.IN_PROGRESS and not note:
        raise BusinessError(
            "REASON_REQUIRED", "Say why the ticket is reopened.", ["input", "comment"]
        )
    now = utcnow()
    today = now.astimezone(settings.zone).date()
    if ticket.status is S.PENDING_CUSTOMER:
        resume(ticket, await service_calendar(session, settings.zone), now)
    if to is S.PENDING_CUSTOMER:
        ticket.paused_at = now
    if to is S.RESOLVED:
        ticket.resolved_at, ticket.resolution = now, note
    if ticket.status is S.RESOLVED and to is S.IN_PROGRESS:
        ticket.resolved_at = None
    if to is S.CLOSED:
        ticket.closed_at = now
        await _complaint_dates(session, ticket, closed_on=today)
    await _responded(session, ticket, now, today)
    session.add(
        TicketTransition(
            ticket_id=ticket.id,  # type: ignore[arg-type]
            from_status=ticket.status,
            to_status=to,
            comment=note or None,
            made_by=by.user_id,
            made_at=now,
        )
    )
    ticket.status = to
    session.add(ticket)
    await session.flush()
    return ticket


async def _responded(session: AsyncSession, ticket: Ticket, now: datetime, today: date) -> None:
    """The first time staff act on a ticket for the customer is its first
    response, and acknowledges a complaint."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
        await _complaint_dates(session, ticket, acknowledged_on=today)


async def _complaint_dates(session: AsyncSession, ticket: Ticket, **dates: object) -> None:
    if ticket.kind is not TicketKind.COMPLAINT:
        return
    complaint = await session.get(Complaint, ticket.id)
    if complaint is None:
        return
    for name, value in dates.items():
        if getattr(complaint, name) is None:
            setattr(complaint, name, value)
    session.add(complaint)


async def comment_on_ticket(
    session: AsyncSession,
    settings: Settings,
    by: Principal,
    ticket_id: int | None,
    body: str,
    internal: bool,
) -> TicketComment:
    """A comment; one the customer sees is a response (the first one starts
    nothing, but stops the first-response clock)."""
    ticket = await ticket_for_update(session, by, ticket_id)
    if ticket.status is S.CLOSED:
        raise BusinessError("TICKET_CLOSED", "The ticket is closed.", ["input", "ticketId"])
    comment = TicketComment(
        ticket_id=ticket.id,  # type: ignore[arg-type]
        body=clean_text(body, field=["input", "body"], max_length=TEXT_MAX),
        internal=internal,
        written_by=by.user_id,
    )
    session.add(comment)
    if not internal:
        now = utcnow()
        await _responded(session, ticket, now, now.astimezone(settings.zone).date())
        session.add(ticket)
    await session.flush()
    return comment


async def assign_ticket(
    session: AsyncSession,
    permissions: PermissionTable,
    by: Principal,
    ticket_id: int | None,
    assignee_id: int | None,
) -> Ticket:
    """Give the ticket to an agent who may work tickets and can reach its
    customer, or (None) back to its branch's queue."""
    ticket = await ticket_for_update(session, by, ticket_id)
    if ticket.status is S.CLOSED:
        raise BusinessError("TICKET_CLOSED", "The ticket is closed.", ["input", "ticketId"])
    if assignee_id is not None:
        customer = await session.get_one(Customer, ticket.customer_id)
        await staff_who_can_reach(session, customer, assignee_id)
        if not await active_user_may(session, permissions, assignee_id, TICKET_WORK):
            raise BusinessError(
                "NOT_FOUND",
                "There is no such member of staff who can work this ticket.",
                ["input", "assigneeId"],
            )
    ticket.assignee_id = assignee_id
    session.add(ticket)
    await session.flush()
    return ticket


async def move_tickets(session: AsyncSession, survivor_id: int, duplicate_id: int) -> None:
    """A merge of customers: the duplicate's tickets become the survivor's."""
    await session.execute(
        update(Ticket).where(Ticket.customer_id == duplicate_id).values(customer_id=survivor_id)
    )
