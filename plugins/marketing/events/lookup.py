"""Finding an event to change, locked, and the rules every change to one shares.

Every change to an event or its invitations first locks the event's row
(``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite a write transaction holds
the database's write lock from its start), so that changes to one event take
turns: two acceptances cannot both take its last seat, and attendance is
recorded once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.errors import BusinessError
from core.row_lock import locked_row
from plugins.marketing.events.models import EventStatus, MarketingEvent

EVENT_FIELD = ["input", "eventId"]


async def event_for_update(
    session: AsyncSession, by: Principal, event_id: int | None, *, managing: bool
) -> MarketingEvent:
    """The event, locked, if ``by`` may work it: head office every one; a branch
    its own, and (``managing`` False: answering invitations) head office's too.
    Any other looks missing."""
    event = await locked_row(session, MarketingEvent, event_id)
    reachable = event is not None and (
        by.branch_id is None
        or event.branch_id == by.branch_id
        or (not managing and event.branch_id is None)
    )
    if not reachable:
        raise BusinessError("EVENT_NOT_FOUND", "There is no such event.", EVENT_FIELD)
    return event  # type: ignore[return-value]


def refuse_unless_planned(event: MarketingEvent) -> None:
    """Held and cancelled events are history: nothing about them changes."""
    if event.status is EventStatus.HELD:
        raise BusinessError(
            "EVENT_ALREADY_HELD", "The event has been held; it cannot change.", EVENT_FIELD
        )
    if event.status is EventStatus.CANCELLED:
        raise BusinessError(
            "EVENT_CANCELLED", "The event was cancelled; it cannot change.", EVENT_FIELD
        )


def refuse_if_started(event: MarketingEvent, now: datetime) -> None:
    """Invitations are sent and answered before an event starts."""
    if event.starts_at <= now:
        raise BusinessError(
            "EVENT_STARTED",
            "The event has started: invitations and answers are closed.",
            EVENT_FIELD,
        )
