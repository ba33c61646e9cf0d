"""The service plugin's events on the customer timeline: tickets opened,
resolved and closed, one statement per kind for all the customers asked about."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.customer.timeline import (
    TimelineEvent,
    TimelinePage,
    TimelineQuery,
    key_for,
    newest,
    newest_first,
)
from plugins.service.models import Ticket

SOURCE = "service"
KIND_WORDS = {
    "CONSULTATION": "Consultation",
    "AFTER_SALES": "After-sales request",
    "COMPLAINT": "Complaint",
    "REQUEST": "Request",
}


async def _moments(
    session: AsyncSession, query: TimelineQuery, moment: Any, verb: str
) -> list[TimelineEvent]:
    ranked = newest(
        query,
        SOURCE,
        [Ticket.id, Ticket.customer_id, moment.label("moment"), Ticket.kind, Ticket.ticket_no],
        Ticket.customer_id,
        moment,
        Ticket.id,
        verb,
    )
    ranked = ranked.where(moment.is_not(None)).subquery()
    rows = await session.execute(select(ranked).where(ranked.c.position <= query.limit))
    return [
        TimelineEvent(
            customer_id=row.customer_id,
            occurred_at=row.moment,
            kind=f"service.ticket_{verb}",
            title=f"{KIND_WORDS[row.kind]} {row.ticket_no} {verb}",
            source=SOURCE,
            key=key_for(verb, row.id),
        )
        for row in rows
    ]


async def service_events(session: AsyncSession, query: TimelineQuery) -> Mapping[int, TimelinePage]:
    """The ``crm_customer_timeline`` answer of the service plugin."""
    if not query.customer_ids or query.limit <= 0:
        return {}
    found: dict[int, list[TimelineEvent]] = defaultdict(list)
    for moment, verb in (
        (Ticket.created_at, "opened"),
        (Ticket.resolved_at, "resolved"),
        (Ticket.closed_at, "closed"),
    ):
        for event in await _moments(session, query, moment, verb):
            found[event.customer_id].append(event)
    return {customer_id: newest_first(events) for customer_id, events in found.items()}
