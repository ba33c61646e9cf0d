"""The service plugin's end-of-day step: escalate what is at risk or breached
(``crm service escalate`` does the same during the day)."""

from __future__ import annotations

from core.end_of_day import ClosingDay, EndOfDayStep, Phase
from plugins.service.escalation import escalate_tickets


async def escalate(day: ClosingDay) -> str:
    made = await escalate_tickets(day.session, day.runtime.events)
    return f"{len(made)} ticket deadlines escalated"


STEPS = (EndOfDayStep("service.escalation", escalate, Phase.REVIEWS),)
