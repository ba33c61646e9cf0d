"""Planning events: a wealth seminar or VIP salon is planned for a moment to
come, at a venue, for a number of seats, by head office or a branch (the
planner's), and may be called off until it is held."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import utcnow
from core.errors import BusinessError
from core.validation import clean_text
from plugins.marketing.events.lookup import event_for_update, refuse_unless_planned
from plugins.marketing.events.models import EventKind, EventStatus, MarketingEvent
from plugins.marketing.models import NAME_MAX, TEXT_MAX


@dataclass(frozen=True)
class EventPlan:
    name: str
    kind: EventKind
    starts_at: datetime
    venue: str
    capacity: int
    description: str | None = None


async def plan_event(
    session: AsyncSession,
    by: Principal,
    plan: EventPlan,
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
) -> MarketingEvent:
    """Plan an event; a start given without a time zone is the bank's time.
    ``now`` (default: the clock's) lets history be recorded, as the demo does."""
    name = clean_text(plan.name, field=["input", "name"], max_length=NAME_MAX)
    venue = clean_text(plan.venue, field=["input", "venue"], max_length=NAME_MAX)
    description = clean_text(
        plan.description or "", field=["input", "description"], max_length=TEXT_MAX, required=False
    )
    starts_at = plan.starts_at if plan.starts_at.tzinfo else plan.starts_at.replace(tzinfo=zone)
    starts_at = starts_at.astimezone(UTC)
    if starts_at <= (now or utcnow()):
        raise BusinessError(
            "STARTS_IN_PAST", "An event is planned for a moment to come.", ["input", "startsAt"]
        )
    if plan.capacity < 1:
        raise BusinessError(
            "INVALID_CAPACITY", "An event has at least one seat.", ["input", "capacity"]
        )
    event = MarketingEvent(
        name=name,
        kind=plan.kind,
        starts_at=starts_at,
        venue=venue,
        capacity=plan.capacity,
        description=description or None,
        branch_id=by.branch_id,
        created_by=by.user_id,
    )
    session.add(event)
    await session.flush()
    return event


async def cancel_event(
    session: AsyncSession, by: Principal, event_id: int | None
) -> MarketingEvent:
    """Call off a planned event; its invitations stay, as they were answered."""
    event = await event_for_update(session, by, event_id, managing=True)
    refuse_unless_planned(event)
    event.status = EventStatus.CANCELLED
    session.add(event)
    await session.flush()
    return event
