"""Batch loads for the service plugin's types, within the viewer's scope."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from core.context import Context
from core.loaders import all_per_key, one_per_key
from plugins.service.models import (
    Complaint,
    Escalation,
    Survey,
    Ticket,
    TicketComment,
    TicketStatus,
    TicketTransition,
)
from plugins.service.scope import tickets_in_scope

CustomerTickets = tuple[int, tuple[TicketStatus, ...] | None]
"""A customer's id and the statuses asked for (None: all)."""


async def tickets_by_id(context: Context, ids: Sequence[int | None]) -> list[Ticket | None]:
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(Ticket).where(Ticket.id.in_(wanted), tickets_in_scope(context.user))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda ticket: ticket.id)  # type: ignore[arg-type, return-value]


async def tickets_by_customer(
    context: Context, keys: Sequence[CustomerTickets]
) -> list[list[Ticket]]:
    """Each customer's tickets (of the statuses asked), newest first: one
    statement per distinct status filter in the batch, whatever the customers."""
    by_filter: dict[tuple[TicketStatus, ...] | None, list[int]] = defaultdict(list)
    for customer_id, statuses in keys:
        by_filter[statuses].append(customer_id)
    found: dict[CustomerTickets, list[Ticket]] = {key: [] for key in keys}
    for statuses, customer_ids in by_filter.items():
        statement = (
            select(Ticket)
            .where(Ticket.customer_id.in_(customer_ids))  # type: ignore[attr-defined]
            .order_by(Ticket.id.desc())  # type: ignore[union-attr]
        )
        if statuses is not None:
            statement = statement.where(Ticket.status.in_(statuses))  # type: ignore[attr-defined]
        for ticket in await context.session.scalars(statement):
            found[(ticket.customer_id, statuses)].append(ticket)
    return [found[key] for key in keys]


async def comments_by_ticket(context: Context, ids: Sequence[int]) -> list[list[TicketComment]]:
    rows = await context.session.scalars(
        select(TicketComment)
        .where(TicketComment.ticket_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(TicketComment.id)
    )
    return all_per_key(ids, rows, lambda comment: comment.ticket_id)


async def transitions_by_ticket(
    context: Context, ids: Sequence[int]
) -> list[list[TicketTransition]]:
    rows = await context.session.scalars(
        select(TicketTransition)
        .where(TicketTransition.ticket_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(TicketTransition.id)
    )
    return all_per_key(ids, rows, lambda transition: transition.ticket_id)


async def escalations_by_ticket(context: Context, ids: Sequence[int]) -> list[list[Escalation]]:
    rows = await context.session.scalars(
        select(Escalation)
        .where(Escalation.ticket_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(Escalation.id)
    )
    return all_per_key(ids, rows, lambda escalation: escalation.ticket_id)


async def complaints_by_ticket(context: Context, ids: Sequence[int]) -> list[Complaint | None]:
    rows = await context.session.scalars(
        select(Complaint).where(Complaint.ticket_id.in_(ids))  # type: ignore[attr-defined]
    )
    return one_per_key(ids, rows, lambda complaint: complaint.ticket_id)


async def surveys_by_ticket(context: Context, ids: Sequence[int]) -> list[Survey | None]:
    rows = await context.session.scalars(
        select(Survey).where(Survey.ticket_id.in_(ids))  # type: ignore[attr-defined]
    )
    return one_per_key(ids, rows, lambda survey: survey.ticket_id)
