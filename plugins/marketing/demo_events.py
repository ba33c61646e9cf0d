"""Demo events: a wealth seminar next week, to which the wealth and private
tiers are invited and have partly answered (never beyond its seats), and a VIP
salon that has been held, with who came recorded and follow-ups given to the
attendees' managers.

An event is planned only for a moment to come and its attendance recorded
only once it has started, so the salon's history is made through the events
services with the moments it happened at (their ``now``): planned and
answered two weeks ago (``plan_salon``), held a week ago (``hold_salon``).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import utcnow
from core.hookspecs import DemoOptions
from plugins.customer.api.customers import CustomerFilter
from plugins.customer.models import Customer, CustomerTier
from plugins.marketing.audience import filter_to_json
from plugins.marketing.events.attendance import record_attendance
from plugins.marketing.events.invitations import Guests, answer_invitation, invite_to_event
from plugins.marketing.events.models import (
    EventKind,
    Invitation,
    InvitationStatus,
    MarketingEvent,
)
from plugins.marketing.events.planning import EventPlan, plan_event

WEALTHY = (CustomerTier.WEALTH, CustomerTier.PRIVATE)
SALON_HELD = timedelta(days=7)
"""The salon was held a week ago: planned, invited and answered the week before."""
SALON_GUESTS = 14
SHOWING_UP = 0.75


async def seed_seminar(session: AsyncSession, options: DemoOptions, host: Principal) -> None:
    """Next week's seminar: the wealth and private tiers invited by phone;
    most answered, some yes and some no, until the seats ran out."""
    rng = random.Random(options.seed + 11)  # noqa: S311  (reproducible demo data, not secrets)
    settings = options.runtime.settings
    starts = datetime.combine(settings.today() + timedelta(days=7), time(14, 30))
    seminar = await plan_event(
        session,
        host,
        EventPlan(
            name="年度全球资产配置策略讲座",
            kind=EventKind.WEALTH_SEMINAR,
            starts_at=starts,
            venue="北京金融街威斯汀酒店三层宴会厅",
            capacity=16,
            description="首席经济学家解读利率走势与全球资产配置，会后一对一理财咨询。",
        ),
        settings.zone,
    )
    wealthy = filter_to_json(CustomerFilter(tier=list(WEALTHY)))
    await invite_to_event(
        session,
        options.runtime.plugins,
        host,
        seminar.id,
        Guests(rules=wealthy),
        zone=settings.zone,
    )
    await _answer(session, host, seminar, rng, accepting=0.6, answering=0.85)


async def plan_salon(
    session: AsyncSession, options: DemoOptions, host: Principal
) -> MarketingEvent:
    """Last week's salon: hand-picked wealthy guests, invited and answered the
    week before (the events' functions are given that moment as ``now``)."""
    rng = random.Random(options.seed + 12)  # noqa: S311  (reproducible demo data, not secrets)
    zone = options.runtime.settings.zone
    salon = await plan_event(
        session,
        host,
        EventPlan(
            name="私人银行客户红酒品鉴沙龙",
            kind=EventKind.VIP_SALON,
            starts_at=utcnow() - SALON_HELD,
            venue="上海外滩十八号私人会所",
            capacity=10,
            description="名庄红酒品鉴，与私人银行投资顾问交流家族财富传承。",
        ),
        zone,
        now=_planned(),
    )
    wealthy = list(
        await session.scalars(
            select(Customer.id).where(Customer.tier.in_(WEALTHY)).order_by(Customer.id)  # type: ignore[attr-defined]
        )
    )
    guests = sorted(rng.sample(wealthy, min(SALON_GUESTS, len(wealthy))))
    await invite_to_event(
        session,
        options.runtime.plugins,
        host,
        salon.id,
        Guests(customer_ids=guests),
        zone=zone,
        now=_planned(),
    )
    await _answer(session, host, salon, rng, accepting=0.75, answering=1.0, now=_planned())
    return salon


async def hold_salon(
    session: AsyncSession, options: DemoOptions, host: Principal, salon: MarketingEvent
) -> None:
    """Record that three in four of those who accepted came, two hours into the salon."""
    rng = random.Random(options.seed + 13)  # noqa: S311  (reproducible demo data, not secrets)
    accepted = list(
        await session.scalars(
            select(Invitation.customer_id)
            .where(Invitation.event_id == salon.id, Invitation.status == InvitationStatus.ACCEPTED)
            .order_by(Invitation.customer_id)
        )
    )
    came = sorted(rng.sample(accepted, math.ceil(len(accepted) * SHOWING_UP)))
    await record_attendance(
        session,
        host,
        salon.id,
        came,
        options.runtime.settings.zone,
        now=salon.starts_at + timedelta(hours=2),
    )


async def _answer(
    session: AsyncSession,
    host: Principal,
    event: MarketingEvent,
    rng: random.Random,
    *,
    accepting: float,
    answering: float,
    now: datetime | None = None,
) -> None:
    """Each guest answers with chance ``answering``, yes with chance
    ``accepting``; a yes that would find no seat left waits, unanswered."""
    invitations = list(
        await session.scalars(
            select(Invitation.customer_id)
            .where(Invitation.event_id == event.id)
            .order_by(Invitation.customer_id)
        )
    )
    seats = event.capacity
    for customer_id in invitations:
        roll = rng.random()
        if roll >= answering:
            continue
        accept = roll < accepting
        if accept and seats == 0:
            continue
        customer = await session.get_one(Customer, customer_id)
        await answer_invitation(session, host, event.id, customer, accept, now=now)
        seats -= accept


def _planned() -> datetime:
    """When the salon was planned and its guests answered: the week before it."""
    return utcnow() - 2 * SALON_HELD
