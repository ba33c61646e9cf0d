"""The marketing plugin's end-of-day step: send the campaign messages that are
due (``crm marketing deliver`` does the same during the day)."""

from __future__ import annotations

from core.end_of_day import ClosingDay, EndOfDayStep, Phase
from plugins.marketing.delivery.worker import deliver


async def send_messages(day: ClosingDay) -> str:
    return str(await deliver(day.runtime.database))


STEPS = (EndOfDayStep("marketing.delivery", send_messages, Phase.DISPATCH),)
