"""Business time on the bank's service calendar: working days (Monday to
Friday, less holidays, plus the weekend days worked instead, 调休) and service
hours (09:00 to 17:00 by default) in the bank's time zone.

SLA clocks run only in business time: a ticket opened on Friday at 16:30 with
two hours to answer is due on Monday at 10:30, or on Tuesday if Monday is a
holiday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ConfigurationError
from plugins.service.models import CalendarDay
from plugins.service.settings import service_settings

LONGEST_SEARCH_DAYS = 3660
"""How far business time may reach: ten years, far past any SLA."""


@dataclass(frozen=True)
class ServiceCalendar:
    zone: ZoneInfo
    opens: time
    closes: time
    exceptions: dict[date, bool]
    """Days off the usual week: True a worked weekend day, False a holiday."""

    def is_working_day(self, day: date) -> bool:
        return self.exceptions.get(day, day.weekday() < 5)

    def _hours(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, self.zone),
            datetime.combine(day, self.closes, self.zone),
        )

    def add(self, start: datetime, minutes: int) -> datetime:
        """The instant ``minutes`` of business time after ``start``, in UTC."""
        left = timedelta(minutes=minutes)
        moment = start.astimezone(self.zone)
        for offset in range(LONGEST_SEARCH_DAYS):
            day = moment.date() + timedelta(days=offset)
            if not self.is_working_day(day):
                continue
            opens, closes = self._hours(day)
            begin = max(opens, moment)
            if begin > closes:
                continue
            if begin + left <= closes:
                return (begin + left).astimezone(UTC)
            left -= closes - begin
        raise ConfigurationError("the service calendar has no working day within ten years")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Business time from ``start`` to ``end`` (zero if ``end`` is not later)."""
        start, end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = timedelta()
        day = start.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens, closes = self._hours(day)
                begin, finish = max(opens, start), min(closes, end)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return total


async def service_calendar(session: AsyncSession, zone: ZoneInfo) -> ServiceCalendar:
    """The calendar in the bank's time zone, with every holiday and worked
    weekend day on record."""
    settings = service_settings()
    rows = await session.execute(select(CalendarDay.day, CalendarDay.working))
    return ServiceCalendar(
        zone=zone,
        opens=settings.service_opens,
        closes=settings.service_closes,
        exceptions={day: working for day, working in rows},  # noqa: C416 (rows, not pairs)
    )
