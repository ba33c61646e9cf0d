"""The customer plugin's end-of-day step: tiers follow the day's final assets."""

from __future__ import annotations

from core.end_of_day import ClosingDay, EndOfDayStep, Phase
from plugins.customer.tiers import recompute_tiers


async def retier(day: ClosingDay) -> str:
    done = await recompute_tiers(
        day.session, day.runtime.plugins, day.runtime.events, on=day.business_date
    )
    return (
        f"{done.examined} customers examined: {done.upgraded} upgraded, "
        f"{done.downgraded} downgraded"
    )


STEPS = (EndOfDayStep("customer.tiers", retier, Phase.REVIEWS),)
