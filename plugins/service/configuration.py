"""Head office's settings of the service: cells of the SLA matrix and days of
the service calendar. Tickets keep the deadlines they were opened with."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import BusinessError
from core.validation import clean_text
from plugins.customer.models import CustomerTier
from plugins.service.models import CalendarDay, SlaPolicy, TicketKind, TicketPriority

LONGEST_MINUTES = 60 * 24 * 365


async def set_sla_policy(
    session: AsyncSession,
    kind: TicketKind,
    priority: TicketPriority,
    tier: CustomerTier,
    response_minutes: int,
    resolution_minutes: int,
) -> SlaPolicy:
    if not 0 < response_minutes <= LONGEST_MINUTES:
        raise BusinessError(
            "INVALID_MINUTES",
            f"Minutes to first response are from 1 to {LONGEST_MINUTES}.",
            ["input", "responseMinutes"],
        )
    if not response_minutes <= resolution_minutes <= LONGEST_MINUTES:
        raise BusinessError(
            "INVALID_MINUTES",
            "Minutes to resolution are at least those to first response, and at most "
            f"{LONGEST_MINUTES}.",
            ["input", "resolutionMinutes"],
        )
    policy = await session.get(SlaPolicy, (kind, priority, tier)) or SlaPolicy(
        kind=kind, priority=priority, tier=tier, response_minutes=0, resolution_minutes=0
    )
    policy.response_minutes, policy.resolution_minutes = response_minutes, resolution_minutes
    session.add(policy)
    await session.flush()
    return policy


async def set_calendar_day(
    session: AsyncSession, day: date, working: bool, name: str
) -> CalendarDay:
    """Make ``day`` a holiday (``working`` False) or a worked day, named."""
    entry = await session.get(CalendarDay, day) or CalendarDay(day=day, working=working, name="")
    entry.working = working
    entry.name = clean_text(name, field=["input", "name"], max_length=100)
    session.add(entry)
    await session.flush()
    return entry
