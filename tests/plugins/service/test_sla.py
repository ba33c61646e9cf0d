"""SLA deadlines through the API: set from the seeded matrix in business time
when a ticket is opened, moved on by the time it waits for the customer, and
head office's changes to the matrix and the calendar.

The clock starts on Monday 2 March 2026 at 10:00 in Beijing. A NORMAL
consultation of a MASS customer has 120 business minutes to first response and
960 (two business days) to resolution.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.db import Mode
from plugins.customer.models import CustomerTier
from plugins.service.models import SlaPolicy, TicketKind, TicketPriority
from tests.plugins.customer.conftest import error_codes
from tests.plugins.service.conftest import Clock, Desk, codes

BEIJING = ZoneInfo("Asia/Shanghai")

SET_SLA_POLICY = """
mutation($input: SetSlaPolicyInput!) {
  setSlaPolicy(input: $input) {
    policy { kind priority tier responseMinutes resolutionMinutes }
    errors { field message code }
  }
}
"""
SET_CALENDAR_DAY = """
mutation($input: SetServiceCalendarDayInput!) {
  setServiceCalendarDay(input: $input) {
    day { day working name }
    errors { field message code }
  }
}
"""
SLA_POLICIES = "{ slaPolicies { kind priority tier responseMinutes resolutionMinutes } }"
SERVICE_CALENDAR = "query($year: Int!) { serviceCalendar(year: $year) { day working name } }"


def bj(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 on Beijing's clocks, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def dues(ticket: dict[str, Any]) -> tuple[datetime, datetime]:
    """(response deadline, resolution deadline) of a ticket from the API."""
    return moment(ticket["responseDueAt"]), moment(ticket["resolutionDueAt"])


async def policy_cell(desk: Desk, kind: str, priority: str, tier: str) -> tuple[int, int]:
    async with desk.runtime.database.transaction(Mode.READ) as session:
        policy = await session.get_one(
            SlaPolicy, (TicketKind(kind), TicketPriority(priority), CustomerTier(tier))
        )
        return policy.response_minutes, policy.resolution_minutes


async def set_policy(desk: Desk, by: str = "admin", **input: Any) -> dict[str, Any]:
    """The whole ``setSlaPolicy`` response body (a refusal may be a GraphQL error)."""
    caller = await desk.bank.sign_in(by)
    cell = {"kind": "CONSULTATION", "priority": "NORMAL", "tier": "MASS"}
    return await caller.execute(SET_SLA_POLICY, {"input": cell | input})


async def set_day(desk: Desk, day: str, working: bool, name: str, by: str = "admin") -> dict:
    caller = await desk.bank.sign_in(by)
    return await caller.execute(
        SET_CALENDAR_DAY, {"input": {"day": day, "working": working, "name": name}}
    )


# ---------------------------------------------------------------- the seeded matrix


async def test_the_standard_matrix_is_seeded_for_every_kind_priority_and_tier(desk: Desk):
    admin = await desk.bank.sign_in("admin")

    cells = (await admin.data(SLA_POLICIES))["slaPolicies"]

    # 4 kinds x 4 priorities x 4 tiers
    assert len(cells) == 64
    by_key = {(c["kind"], c["priority"], c["tier"]): c for c in cells}
    # a NORMAL consultation: 120 min to answer, 2 days x 480 min to resolve
    assert by_key["CONSULTATION", "NORMAL", "MASS"]["responseMinutes"] == 120
    assert by_key["CONSULTATION", "NORMAL", "MASS"]["resolutionMinutes"] == 960
    # a NORMAL complaint of a PRIVATE customer: 120 x 0.5, 10 days x 480 x 0.5
    assert by_key["COMPLAINT", "NORMAL", "PRIVATE"]["responseMinutes"] == 60
    assert by_key["COMPLAINT", "NORMAL", "PRIVATE"]["resolutionMinutes"] == 2400
    # an URGENT consultation of a WEALTH customer: 30 x 0.75 = 22.5 -> 22, 240 x 0.75 = 180
    assert by_key["CONSULTATION", "URGENT", "WEALTH"]["responseMinutes"] == 22
    assert by_key["CONSULTATION", "URGENT", "WEALTH"]["resolutionMinutes"] == 180


@pytest.mark.parametrize(
    ("tier", "response", "resolution"),
    [
        # 120 min from Monday 10:00 = 12:00;
        # 960 min: 420 on Monday, 480 on Tuesday, 60 on Wednesday = Wednesday 10:00
        ("MASS", bj(2, 12), bj(4, 10)),
        ("AFFLUENT", bj(2, 12), bj(4, 10)),
        # x 0.75: 90 min = 11:30; 720 min: 420 on Monday, 300 on Tuesday = Tuesday 14:00
        ("WEALTH", bj(2, 11, 30), bj(3, 14)),
        # x 0.5: 60 min = 11:00; 480 min: 420 on Monday, 60 on Tuesday = Tuesday 10:00
        ("PRIVATE", bj(2, 11), bj(3, 10)),
    ],
)
async def test_deadlines_come_from_the_matrix_for_the_customers_tier(
    desk: Desk, clock: Clock, tier, response, resolution
):
    customer = await desk.customer()
    await desk.bank.change(customer, tier=CustomerTier(tier))

    ticket = await desk.open(customer)

    assert dues(ticket) == (response, resolution)
    assert moment(ticket["createdAt"]) == bj(2, 10)


async def test_a_complaint_gets_the_complaint_row_of_the_matrix(desk: Desk, clock: Clock):
    customer = await desk.customer()

    ticket = await desk.open(customer, kind="COMPLAINT", priority="HIGH")

    # HIGH: 60 min = 11:00; a HIGH complaint 5 days = 2400 min: 420 on Monday,
    # 480 on each of Tue, Wed, Thu, Fri (1920), 60 on Monday the 9th = 10:00
    assert dues(ticket) == (bj(2, 11), bj(9, 10))


async def test_a_ticket_opened_on_friday_afternoon_runs_over_the_weekend(desk: Desk, clock: Clock):
    clock.set(bj(6, 16))
    customer = await desk.customer()

    ticket = await desk.open(customer)

    # 120 min: 60 on Friday, 60 on Monday the 9th = Monday 10:00;
    # 960 min: 60 on Friday, 480 on Monday, 420 on Tuesday the 10th = Tuesday 16:00
    assert dues(ticket) == (bj(9, 10), bj(10, 16))


async def test_a_ticket_opened_at_night_starts_the_next_morning(desk: Desk, clock: Clock):
    clock.set(bj(2, 21))
    customer = await desk.customer()

    ticket = await desk.open(customer, channel="APP")

    # from Tuesday 09:00: 120 min = 11:00; 960 min = 480 Tue + 480 Wed = Wednesday 17:00
    assert dues(ticket) == (bj(3, 11), bj(4, 17))


async def test_a_holiday_moves_the_deadlines_of_tickets_opened_after_it_is_set(
    desk: Desk, clock: Clock
):
    clock.set(bj(6, 16))
    customer = await desk.customer()
    before = await desk.open(customer)

    body = await set_day(desk, "2026-03-09", False, "测试假日")
    after = await desk.open(customer)

    assert body["data"]["setServiceCalendarDay"] == {
        "day": {"day": "2026-03-09", "working": False, "name": "测试假日"},
        "errors": [],
    }
    # Monday the 9th off: 120 min = 60 on Friday + 60 on Tuesday = Tuesday 10:00;
    # 960 min = 60 Fri + 480 Tue + 420 Wed = Wednesday the 11th 16:00
    assert dues(after) == (bj(10, 10), bj(11, 16))
    # the ticket opened before keeps its deadlines (Monday 10:00, Tuesday 16:00)
    assert dues(await desk.get(before)) == (bj(9, 10), bj(10, 16))


async def test_a_worked_saturday_counts_for_tickets(desk: Desk, clock: Clock):
    await set_day(desk, "2026-03-07", True, "调休")
    clock.set(bj(6, 16))
    customer = await desk.customer()

    ticket = await desk.open(customer)

    # 120 min = 60 on Friday + 60 on Saturday = Saturday 10:00;
    # 960 min = 60 Fri + 480 Sat + 420 on Monday the 9th = Monday 16:00
    assert dues(ticket) == (bj(7, 10), bj(9, 16))


async def test_the_service_calendar_lists_the_days_of_a_year(desk: Desk):
    await set_day(desk, "2026-10-01", False, "国庆节")
    await set_day(desk, "2026-10-10", True, "国庆节调休")
    await set_day(desk, "2027-01-01", False, "元旦")
    await set_day(desk, "2026-10-01", False, "国庆节（一）")  # renamed, not doubled
    agent = await desk.bank.sign_in("bj.agent")

    days = (await agent.data(SERVICE_CALENDAR, {"year": 2026}))["serviceCalendar"]

    assert days == [
        {"day": "2026-10-01", "working": False, "name": "国庆节（一）"},
        {"day": "2026-10-10", "working": True, "name": "国庆节调休"},
    ]


# ---------------------------------------------------------------- waiting for the customer


async def test_waiting_for_the_customer_moves_the_resolution_deadline_by_the_time_waited(
    desk: Desk, clock: Clock
):
    customer = await desk.customer()
    ticket = await desk.open(customer)  # due 12:00 and Wednesday 10:00
    clock.set(bj(2, 10, 30))
    await desk.move(ticket, "IN_PROGRESS")
    clock.set(bj(2, 11))
    paused = await desk.move(ticket, "PENDING_CUSTOMER", "请客户补充身份证复印件")
    clock.set(bj(2, 14))

    resumed = await desk.move(ticket, "IN_PROGRESS")

    assert dues(paused) == (bj(2, 12), bj(4, 10))
    # waited 11:00 to 14:00 = 180 min: Wednesday 10:00 + 180 = Wednesday 13:00
    assert dues(resumed) == (bj(2, 12), bj(4, 13))
    assert moment(resumed["slaDueAt"]) == bj(4, 13)


async def test_a_pause_over_a_night_counts_only_business_hours(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)  # resolution due Wednesday 10:00
    clock.set(bj(2, 16))
    await desk.move(ticket, "PENDING_CUSTOMER", "等待客户回电")
    clock.set(bj(3, 10, 30))

    resumed = await desk.move(ticket, "IN_PROGRESS")

    # waited Monday 16:00 to Tuesday 10:30 = 60 + 90 = 150 min: Wednesday 12:30
    assert moment(resumed["resolutionDueAt"]) == bj(4, 12, 30)


async def test_a_pause_over_a_weekend_pushes_across_it(desk: Desk, clock: Clock):
    clock.set(bj(5, 10))  # Thursday
    customer = await desk.customer()
    ticket = await desk.open(customer)
    # 960 min from Thursday 10:00: 420 Thu, 480 Fri, 60 on Monday the 9th = Monday 10:00
    assert moment(ticket["resolutionDueAt"]) == bj(9, 10)
    clock.set(bj(6, 15))
    await desk.move(ticket, "PENDING_CUSTOMER", "等待客户提供流水")
    clock.set(bj(9, 9, 30))

    resumed = await desk.move(ticket, "IN_PROGRESS")

    # waited Friday 15:00 to Monday 09:30 = 120 + 30 = 150 min: Monday 12:30
    assert moment(resumed["resolutionDueAt"]) == bj(9, 12, 30)


async def test_each_pause_adds_up(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)  # resolution due Wednesday 10:00
    for pause, resume in ((bj(2, 11), bj(2, 12)), (bj(2, 15), bj(2, 15, 45))):
        clock.set(pause)
        await desk.move(ticket, "PENDING_CUSTOMER", "等待客户")
        clock.set(resume)
        ticket = await desk.move(ticket, "IN_PROGRESS")

    # 60 + 45 = 105 min: Wednesday 11:45
    assert moment(ticket["resolutionDueAt"]) == bj(4, 11, 45)


async def test_resolving_while_waiting_counts_the_wait(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)  # resolution due Wednesday 10:00
    clock.set(bj(2, 11))
    await desk.move(ticket, "PENDING_CUSTOMER", "等待客户")
    clock.set(bj(2, 13))

    resolved = await desk.move(ticket, "RESOLVED", "客户确认已解决")

    # waited 120 min: Wednesday 12:00
    assert moment(resolved["resolutionDueAt"]) == bj(4, 12)
    assert resolved["slaBreached"] is False


async def test_a_pause_outside_business_hours_leaves_the_deadline_where_it_was(
    desk: Desk, clock: Clock
):
    clock.set(bj(2, 9))
    customer = await desk.customer()
    ticket = await desk.open(customer)
    # 960 min from Monday 09:00 = 480 Mon + 480 Tue = Tuesday 17:00
    assert moment(ticket["resolutionDueAt"]) == bj(3, 17)
    clock.set(bj(2, 17, 30))
    await desk.move(ticket, "PENDING_CUSTOMER", "等待客户")
    clock.set(bj(2, 19))

    resumed = await desk.move(ticket, "IN_PROGRESS")

    # waited Monday 17:30 to 19:00: no business time, so still Tuesday 17:00
    assert moment(resumed["resolutionDueAt"]) == bj(3, 17)


# ---------------------------------------------------------------- the running deadline


async def test_the_sla_due_is_the_response_deadline_until_the_first_response(
    desk: Desk, clock: Clock
):
    customer = await desk.customer()
    ticket = await desk.open(customer)
    assert moment(ticket["slaDueAt"]) == bj(2, 12)
    clock.set(bj(2, 10, 30))

    moved = await desk.move(ticket, "IN_PROGRESS")

    assert moment(moved["firstRespondedAt"]) == bj(2, 10, 30)
    assert moment(moved["slaDueAt"]) == bj(4, 10)


async def test_once_resolved_the_sla_due_is_the_resolution_deadline(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)

    resolved = await desk.move(ticket, "RESOLVED", "当场解答")

    assert moment(resolved["slaDueAt"]) == bj(4, 10)


async def test_an_unanswered_ticket_is_breached_once_past_its_response_deadline(
    desk: Desk, clock: Clock
):
    customer = await desk.customer()
    ticket = await desk.open(customer)  # response due 12:00

    seen = {}
    for at in (bj(2, 11, 59), bj(2, 12), bj(2, 12, 1)):
        clock.set(at)
        seen[at] = (await desk.get(ticket))["slaBreached"]

    assert seen == {bj(2, 11, 59): False, bj(2, 12): False, bj(2, 12, 1): True}


async def test_a_late_first_response_stays_breached(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)  # response due 12:00
    clock.set(bj(2, 12, 30))

    moved = await desk.move(ticket, "IN_PROGRESS")

    assert moved["slaBreached"] is True


async def test_an_answered_ticket_is_breached_once_past_its_resolution_deadline(
    desk: Desk, clock: Clock
):
    customer = await desk.customer()
    ticket = await desk.open(customer)
    await desk.move(ticket, "IN_PROGRESS")  # answered at once; resolution due Wednesday 10:00

    clock.set(bj(4, 9, 59))
    before = (await desk.get(ticket))["slaBreached"]
    clock.set(bj(4, 10, 1))
    after = (await desk.get(ticket))["slaBreached"]

    assert (before, after) == (False, True)


async def test_a_ticket_waiting_for_the_customer_is_not_breached_past_its_deadline(
    desk: Desk, clock: Clock
):
    customer = await desk.customer()
    ticket = await desk.open(customer)
    await desk.move(ticket, "IN_PROGRESS")
    clock.set(bj(3, 10))
    await desk.move(ticket, "PENDING_CUSTOMER", "等待客户")

    clock.set(bj(5, 10))  # Thursday: a day past Wednesday 10:00
    waiting = await desk.get(ticket)
    resumed = await desk.move(ticket, "IN_PROGRESS")

    assert waiting["slaBreached"] is False
    assert moment(waiting["resolutionDueAt"]) == bj(4, 10)
    # waited Tuesday 10:00 to Thursday 10:00 = 420 + 480 + 60 = 960 min:
    # Wednesday 10:00 + 960 = 420 Wed + 480 Thu + 60 Fri = Friday 10:00
    assert moment(resumed["resolutionDueAt"]) == bj(6, 10)
    assert resumed["slaBreached"] is False


async def test_a_ticket_paused_after_its_deadline_stays_breached(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)  # response due 12:00
    clock.set(bj(2, 13))

    paused = await desk.move(ticket, "PENDING_CUSTOMER", "等待客户")

    assert paused["slaBreached"] is True


async def test_a_ticket_resolved_in_time_is_never_breached(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)
    await desk.move(ticket, "RESOLVED", "当场解答")

    clock.set(bj(20, 10))

    assert (await desk.get(ticket))["slaBreached"] is False


# ---------------------------------------------------------------- head office's changes


async def test_a_changed_policy_applies_to_new_tickets_only(desk: Desk, clock: Clock):
    customer = await desk.customer()
    before = await desk.open(customer)

    body = await set_policy(desk, responseMinutes=30, resolutionMinutes=240)
    after = await desk.open(customer)

    assert body["data"]["setSlaPolicy"] == {
        "policy": {
            "kind": "CONSULTATION",
            "priority": "NORMAL",
            "tier": "MASS",
            "responseMinutes": 30,
            "resolutionMinutes": 240,
        },
        "errors": [],
    }
    # 30 min from Monday 10:00 = 10:30; 240 min = 14:00
    assert dues(after) == (bj(2, 10, 30), bj(2, 14))
    assert dues(await desk.get(before)) == (bj(2, 12), bj(4, 10))
    assert await policy_cell(desk, "CONSULTATION", "NORMAL", "MASS") == (30, 240)
    # the other tiers keep theirs
    assert await policy_cell(desk, "CONSULTATION", "NORMAL", "AFFLUENT") == (120, 960)


@pytest.mark.parametrize(
    ("response", "resolution"),
    [(60, 60), (1, 1), (60 * 24 * 365, 60 * 24 * 365)],
    ids=["same-time", "a-minute", "a-year"],
)
async def test_the_bounds_of_policy_minutes_are_accepted(desk: Desk, response, resolution):
    body = await set_policy(desk, responseMinutes=response, resolutionMinutes=resolution)

    assert body["data"]["setSlaPolicy"]["errors"] == []
    assert await policy_cell(desk, "CONSULTATION", "NORMAL", "MASS") == (response, resolution)


@pytest.mark.parametrize(
    ("response", "resolution", "field"),
    [
        (0, 960, "responseMinutes"),
        (-30, 960, "responseMinutes"),
        (60 * 24 * 365 + 1, 60 * 24 * 365 + 1, "responseMinutes"),
        (120, 119, "resolutionMinutes"),
        (120, 60 * 24 * 365 + 1, "resolutionMinutes"),
    ],
    ids=["zero", "negative", "response-over-a-year", "resolve-before-answer", "over-a-year"],
)
async def test_bad_policy_minutes_are_refused(desk: Desk, response, resolution, field):
    body = await set_policy(desk, responseMinutes=response, resolutionMinutes=resolution)

    payload = body["data"]["setSlaPolicy"]
    assert payload["policy"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_MINUTES", ["input", field])
    ]
    assert await policy_cell(desk, "CONSULTATION", "NORMAL", "MASS") == (120, 960)


@pytest.mark.parametrize("who", ["bj.manager", "bj.agent", "auditor"])
async def test_only_head_office_may_change_the_matrix_or_the_calendar(desk: Desk, who):
    policy = await set_policy(desk, by=who, responseMinutes=30, resolutionMinutes=240)
    day = await set_day(desk, "2026-03-09", False, "假日", by=who)

    assert error_codes(policy) == ["FORBIDDEN"]
    assert error_codes(day) == ["FORBIDDEN"]
    assert await policy_cell(desk, "CONSULTATION", "NORMAL", "MASS") == (120, 960)
    admin = await desk.bank.sign_in("admin")
    assert (await admin.data(SERVICE_CALENDAR, {"year": 2026}))["serviceCalendar"] == []


async def test_a_calendar_day_needs_a_name(desk: Desk):
    body = await set_day(desk, "2026-03-09", False, "  ")

    assert codes(body["data"]["setServiceCalendarDay"]) == ["REQUIRED"]
    admin = await desk.bank.sign_in("admin")
    assert (await admin.data(SERVICE_CALENDAR, {"year": 2026}))["serviceCalendar"] == []


@pytest.mark.parametrize("year", [0, -1, 10000])
async def test_the_calendar_of_a_year_out_of_range_is_empty(desk: Desk, year):
    admin = await desk.bank.sign_in("admin")

    body = await admin.execute(SERVICE_CALENDAR, {"year": year})

    assert body == {"data": {"serviceCalendar": []}}
