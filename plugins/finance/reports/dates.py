"""Which business dates a report can be asked for."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from core.business_day import open_business_date
from core.errors import RequestError
from core.settings import Settings


async def reportable(session: AsyncSession, settings: Settings, day: date) -> date:
    """``day`` if it is not after the open business date (whose figures are so far)."""
    today = await open_business_date(session, settings)
    if day > today:
        raise RequestError(
            f"There are no figures for {day} yet: the open business date is {today}.",
            "INVALID_DATE",
        )
    return today
