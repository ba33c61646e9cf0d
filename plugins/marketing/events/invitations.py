"""Invitations: customers invited to an event, and their answers (RSVP).

Inviting is one INSERT ... SELECT, like a campaign's launch: the active
customers the audience selects (a saved segment, a customer filter or hand-
picked customers), of the event's branch (head office's events: within the
inviter's scope), less those who withdrew consent to the channel the
invitation goes by and those already invited. Accepting takes a seat: the
seats taken are counted under the event's lock, so the last one goes once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, String, exists, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import UTCDateTime, utcnow
from core.errors import BusinessError
from core.plugins import PluginRegistry
from plugins.customer.models import Customer
from plugins.marketing.audience import audience_of
from plugins.marketing.consent import opted_out
from plugins.marketing.criteria import Calendar
from plugins.marketing.events.lookup import (
    event_for_update,
    refuse_if_started,
    refuse_unless_planned,
)
from plugins.marketing.events.models import Invitation, InvitationStatus, MarketingEvent
from plugins.marketing.models import CampaignChannel, Segment


@dataclass(frozen=True)
class Guests:
    """Whom to invite: exactly one of a saved segment, a customer filter (as
    JSON rules) or hand-picked customers."""

    segment_id: int | None = None
    rules: dict[str, Any] | None = None
    customer_ids: Sequence[int] | None = None


async def _rules(session: AsyncSession, guests: Guests) -> dict[str, Any]:
    given = [x for x in (guests.segment_id, guests.rules, guests.customer_ids) if x is not None]
    if not given:
        raise BusinessError(
            "AUDIENCE_REQUIRED", "Name a segment, a customer filter or customers.", ["input"]
        )
    if len(given) > 1:
        raise BusinessError(
            "CONFLICTING_AUDIENCE",
            "Name one of a segment, a customer filter or customers, not several.",
            ["input"],
        )
    if guests.segment_id is not None:
        segment = await session.get(Segment, guests.segment_id)
        if segment is None:
            raise BusinessError("NOT_FOUND", "There is no such segment.", ["input", "segmentId"])
        return segment.rules
    return guests.rules or {}


async def invite_to_event(
    session: AsyncSession,
    plugins: PluginRegistry,
    by: Principal,
    event_id: int | None,
    guests: Guests,
    channel: CampaignChannel = CampaignChannel.PHONE,
    *,
    zone: ZoneInfo,
    now: datetime | None = None,
) -> tuple[MarketingEvent, int]:
    """Invite the guests who may be invited; the event and how many were.
    Ages and dates in the audience's rules are the bank's, in ``zone``."""
    event = await event_for_update(session, by, event_id, managing=True)
    refuse_unless_planned(event)
    now = now or utcnow()
    refuse_if_started(event, now)
    rules = await _rules(session, guests)
    calendar = Calendar(now.astimezone(zone).date(), zone)
    already_invited = exists().where(
        Invitation.event_id == event.id, Invitation.customer_id == Customer.id
    )
    chosen = [Customer.id.in_(guests.customer_ids)] if guests.customer_ids is not None else []  # type: ignore[union-attr]
    invited = (
        select(
            literal(event.id, Integer),
            Customer.id,
            literal(InvitationStatus.INVITED.value, String),
            literal(now, UTCDateTime),
            literal(by.user_id, Integer),
        )
        .where(
            Customer.id.in_(audience_of(rules, by, plugins, event.branch_id, calendar=calendar)),  # type: ignore[union-attr]
            *chosen,
            ~opted_out(channel),
            ~already_invited,
        )
        .order_by(Customer.id)
    )
    added = await session.execute(
        insert(Invitation).from_select(
            ["event_id", "customer_id", "status", "invited_at", "invited_by"], invited
        )
    )
    return event, added.rowcount  # type: ignore[attr-defined]


async def answer_invitation(
    session: AsyncSession,
    by: Principal,
    event_id: int | None,
    customer: Customer,
    accept: bool,
    *,
    now: datetime | None = None,
) -> Invitation:
    """Record the customer's answer (``customer`` already checked to be in the
    caller's scope); an answer may change until the event starts. Accepting
    is refused with EVENT_FULL when every seat is taken."""
    event = await event_for_update(session, by, event_id, managing=False)
    refuse_unless_planned(event)
    now = now or utcnow()
    refuse_if_started(event, now)
    invitation = await session.scalar(
        select(Invitation)
        .where(Invitation.event_id == event.id, Invitation.customer_id == customer.id)
        .execution_options(populate_existing=True)
    )
    if invitation is None:
        raise BusinessError(
            "NOT_INVITED", "The customer is not invited to the event.", ["input", "customerId"]
        )
    taking_a_seat = accept and invitation.status is not InvitationStatus.ACCEPTED
    if taking_a_seat and await seats_taken(session, event) >= event.capacity:
        raise BusinessError(
            "EVENT_FULL", f"All {event.capacity} seats are taken.", ["input", "accept"]
        )
    invitation.status = InvitationStatus.ACCEPTED if accept else InvitationStatus.DECLINED
    invitation.answered_at = now
    session.add(invitation)
    await session.flush()
    return invitation


async def seats_taken(session: AsyncSession, event: MarketingEvent) -> int:
    """Invitations accepted: read under the event's lock, it is the number
    another acceptance would see too."""
    taken = await session.scalar(
        select(func.count()).where(
            Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED
        )
    )
    return taken or 0
