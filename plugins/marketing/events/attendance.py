"""Recording who came: once a planned event has started, those listed are
marked ATTENDED (each must have been invited, whatever they answered), the
other accepted guests NO_SHOW, and the event HELD. Each attendee's
relationship manager gets a follow-up task through the customer plugin, due
within ``CRM_EVENT_FOLLOW_UP_DAYS``; an attendee nobody manages, the event's
planner. Recording twice is refused: the event is held.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import utcnow
from core.errors import BusinessError
from plugins.customer.contacts import schedule_follow_up
from plugins.customer.models import Customer, CustomerStatus, FollowUp
from plugins.marketing.events.lookup import EVENT_FIELD, event_for_update, refuse_unless_planned
from plugins.marketing.events.models import (
    EventStatus,
    Invitation,
    InvitationStatus,
    MarketingEvent,
)
from plugins.marketing.settings import marketing_settings

FOLLOW_UP_TITLE = "活动回访: {name}"


async def record_attendance(
    session: AsyncSession,
    by: Principal,
    event_id: int | None,
    attended: Sequence[int],
    zone: ZoneInfo,
    *,
    now: datetime | None = None,
) -> MarketingEvent:
    """Settle the event's invitations by who came (customer ids), hold the
    event, and give each attendee's manager a follow-up. ``now`` (default: the
    clock's) lets history be recorded, as the demo does."""
    event = await event_for_update(session, by, event_id, managing=True)
    refuse_unless_planned(event)
    now = now or utcnow()
    if event.starts_at > now:
        raise BusinessError(
            "EVENT_NOT_STARTED", "Attendance is recorded once the event has started.", EVENT_FIELD
        )
    came = sorted(set(attended))
    invitations = list(
        await session.scalars(
            select(Invitation)
            .where(Invitation.event_id == event.id, Invitation.customer_id.in_(came))  # type: ignore[attr-defined]
            .order_by(Invitation.customer_id)
        )
    )
    if len(invitations) != len(came):
        raise BusinessError(
            "NOT_INVITED",
            "Only invited customers are recorded as attending.",
            ["input", "attended"],
        )
    await session.execute(
        update(Invitation)
        .where(
            Invitation.event_id == event.id,  # type: ignore[arg-type]
            Invitation.status == InvitationStatus.ACCEPTED,  # type: ignore[arg-type]
            Invitation.customer_id.not_in(came),  # type: ignore[attr-defined]
        )
        .values(status=InvitationStatus.NO_SHOW)
    )
    event.status = EventStatus.HELD
    session.add(event)
    today = now.astimezone(zone).date()
    due_on = today + timedelta(days=marketing_settings().event_follow_up_days)
    customers = {
        customer.id: customer
        for customer in await session.scalars(select(Customer).where(Customer.id.in_(came)))  # type: ignore[union-attr]
    }
    for invitation in invitations:
        invitation.status = InvitationStatus.ATTENDED
        customer = customers[invitation.customer_id]
        if customer.status is not CustomerStatus.CLOSED:
            follow_up = await _follow_up(session, by, event, customer, due_on, today)
            invitation.follow_up_id = follow_up.id
        session.add(invitation)
    await session.flush()
    return event


async def _follow_up(
    session: AsyncSession,
    by: Principal,
    event: MarketingEvent,
    customer: Customer,
    due_on: date,
    today: date,
) -> FollowUp:
    """A task for the customer's manager, else the event's planner, else
    whoever records attendance: the first who is still active staff able to
    reach the customer (the customer plugin refuses the others as NOT_FOUND)."""
    candidates = dict.fromkeys(
        user_id for user_id in (customer.relationship_manager_id, event.created_by) if user_id
    )
    for assignee_id in [*candidates, by.user_id]:
        try:
            return await schedule_follow_up(
                session,
                customer,
                title=FOLLOW_UP_TITLE.format(name=event.name),
                due_on=due_on,
                assignee_id=assignee_id,
                by=by,
                today=today,
            )
        except BusinessError as refusal:
            if refusal.code != "NOT_FOUND":
                raise
    raise AssertionError("the recorder may always be given the task")  # pragma: no cover
