"""Date rules of deposits (and, later, loan schedules)."""

from __future__ import annotations

import calendar
from datetime import date

SETTLEMENT_DAY = 20
SETTLEMENT_MONTHS = (3, 6, 9, 12)


def add_months(start: date, months: int) -> date:
    """The same day of the month ``months`` later; the month's last day where
    that day does not exist (31 January + 1 month is 28 or 29 February)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def is_interest_settlement_day(day: date) -> bool:
    """Demand deposits are paid their interest quarterly, on the 20th of March,
    June, September and December (结息日)."""
    return day.day == SETTLEMENT_DAY and day.month in SETTLEMENT_MONTHS
