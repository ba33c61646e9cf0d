"""Business time on the service calendar: Monday to Friday, 09:00 to 17:00 in
Beijing, less holidays, plus weekend days worked instead (调休).

March 2026: Monday the 2nd, Friday the 6th, Saturday the 7th, Sunday the 8th,
Monday the 9th. October 2026: Thursday the 1st to Wednesday the 7th are the
National Day holiday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.errors import ConfigurationError
from plugins.service.calendar import ServiceCalendar

BEIJING = ZoneInfo("Asia/Shanghai")
SATURDAY = date(2026, 3, 7)
MONDAY_AFTER = date(2026, 3, 9)


def calendar(holidays: tuple[date, ...] = (), worked: tuple[date, ...] = ()) -> ServiceCalendar:
    """The bank's calendar, 09:00 to 17:00 in Beijing, with these exceptions."""
    days = dict.fromkeys(holidays, False) | dict.fromkeys(worked, True)
    return ServiceCalendar(zone=BEIJING, opens=time(9), closes=time(17), exceptions=days)


def bj(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    """A moment of 2026 on the wall clocks of Beijing."""
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


# ---------------------------------------------------------------- adding business time


def test_minutes_within_a_day_are_added_as_they_are():
    # Monday 10:00 + 90 min = Monday 11:30
    assert calendar().add(bj(2, 10), 90) == bj(2, 11, 30)


def test_the_sum_is_an_instant_in_utc():
    due = calendar().add(bj(2, 10), 90)

    # Monday 11:30 in Beijing (UTC+8) is 03:30 UTC
    assert due.utcoffset() == timedelta(0)
    assert (due.hour, due.minute) == (3, 30)


def test_a_start_given_in_utc_is_read_on_beijing_time():
    # 02:00 UTC is Monday 10:00 in Beijing; + 60 min = 11:00 Beijing = 03:00 UTC
    assert calendar().add(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), 60) == datetime(
        2026, 3, 2, 3, 0, tzinfo=UTC
    )


def test_time_left_at_closing_carries_over_to_the_next_morning():
    # Monday 16:00 + 120 min: 60 on Monday (to 17:00), 60 on Tuesday from 09:00 = Tuesday 10:00
    assert calendar().add(bj(2, 16), 120) == bj(3, 10)


def test_a_weekend_is_skipped():
    # Friday 16:30 + 120 min: 30 on Friday, 90 on Monday from 09:00 = Monday 10:30
    assert calendar().add(bj(6, 16, 30), 120) == bj(9, 10, 30)


def test_a_monday_holiday_pushes_to_tuesday():
    # as above, but Monday the 9th is off: 30 on Friday, 90 on Tuesday = Tuesday 10:30
    holiday = calendar(holidays=(MONDAY_AFTER,))

    assert holiday.add(bj(6, 16, 30), 120) == bj(10, 10, 30)


def test_a_worked_saturday_counts():
    # Saturday the 7th worked (调休): 30 on Friday, 90 on Saturday = Saturday 10:30
    worked = calendar(worked=(SATURDAY,))

    assert worked.add(bj(6, 16, 30), 120) == bj(7, 10, 30)


def test_a_whole_holiday_week_and_the_saturday_worked_after_it():
    # Wednesday 30 September 16:00 + 1440 min (three business days):
    # 60 on Wednesday; 1 to 7 October off (Thu, Fri, Sat, Sun, Mon, Tue, Wed);
    # 480 on Thursday the 8th, 480 on Friday the 9th, 420 left on Saturday the 10th
    # (worked) from 09:00 = Saturday 16:00
    national_day = calendar(
        holidays=tuple(date(2026, 10, day) for day in (1, 2, 5, 6, 7)),
        worked=(date(2026, 10, 10),),
    )

    assert national_day.add(bj(30, 16, month=9), 1440) == bj(10, 16, month=10)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (bj(2, 7), bj(2, 9, 30)),  # before opening: the clock starts at 09:00
        (bj(2, 18), bj(3, 9, 30)),  # after closing: at 09:00 the next day
        (bj(8, 12), bj(9, 9, 30)),  # on a Sunday: at 09:00 on Monday
        (bj(7, 2), bj(9, 9, 30)),  # early on a Saturday: at 09:00 on Monday
    ],
    ids=["before-opening", "after-closing", "sunday", "saturday-night"],
)
def test_a_start_outside_hours_counts_from_the_next_opening(start, due):
    # + 30 min from the next opening at 09:00 = 09:30
    assert calendar().add(start, 30) == due


def test_adding_exactly_the_rest_of_the_day_lands_on_closing_that_day():
    # Monday 16:00 + 60 = Monday 17:00 (not Tuesday 09:00)
    assert calendar().add(bj(2, 16), 60) == bj(2, 17)
    # Monday 09:00 + 480 (a whole day) = Monday 17:00
    assert calendar().add(bj(2, 9), 480) == bj(2, 17)


def test_a_minute_past_the_day_is_the_first_minute_of_the_next():
    # Monday 16:00 + 61 = Tuesday 09:01
    assert calendar().add(bj(2, 16), 61) == bj(3, 9, 1)


def test_nothing_added_at_opening_is_opening():
    assert calendar().add(bj(2, 9), 0) == bj(2, 9)


def test_nothing_added_at_closing_is_closing():
    # Monday 17:00 + 0 business minutes = Monday 17:00 (as 16:00 + 60 is)
    assert calendar().add(bj(2, 17), 0) == bj(2, 17)


def test_a_calendar_with_no_hours_refuses_rather_than_loops():
    closed = ServiceCalendar(zone=BEIJING, opens=time(9), closes=time(9), exceptions={})

    with pytest.raises(ConfigurationError):
        closed.add(bj(2, 10), 1)


# ---------------------------------------------------------------- business time between


def test_between_within_a_day():
    # Monday 10:00 to 11:45 = 105 min
    assert calendar().between(bj(2, 10), bj(2, 11, 45)) == timedelta(minutes=105)


def test_between_across_a_night():
    # Monday 16:00 to Tuesday 10:00: 60 + 60 = 120 min
    assert calendar().between(bj(2, 16), bj(3, 10)) == timedelta(minutes=120)


def test_between_across_a_weekend():
    # Friday 16:00 to Monday 10:00: 60 on Friday + 60 on Monday = 120 min
    assert calendar().between(bj(6, 16), bj(9, 10)) == timedelta(minutes=120)


def test_between_across_a_weekend_and_a_monday_holiday():
    # Friday 16:00 to Tuesday 10:00, Monday off: 60 + 60 = 120 min
    assert calendar(holidays=(MONDAY_AFTER,)).between(bj(6, 16), bj(10, 10)) == timedelta(
        minutes=120
    )


def test_between_counts_a_worked_saturday():
    # Friday 16:00 to Monday 10:00, Saturday worked: 60 + 480 + 60 = 600 min
    assert calendar(worked=(SATURDAY,)).between(bj(6, 16), bj(9, 10)) == timedelta(minutes=600)


def test_between_outside_hours_is_nothing():
    # Monday 17:30 to Tuesday 08:30, and all of Sunday
    assert calendar().between(bj(2, 17, 30), bj(3, 8, 30)) == timedelta(0)
    assert calendar().between(bj(8, 0), bj(8, 23, 59)) == timedelta(0)


def test_between_an_end_before_the_start_is_nothing():
    assert calendar().between(bj(2, 15), bj(2, 10)) == timedelta(0)


def test_between_undoes_add():
    # Friday 16:30 + 120 = Monday 10:30, and back: 120 min
    week = calendar()
    start = bj(6, 16, 30)

    assert week.between(start, week.add(start, 120)) == timedelta(minutes=120)
