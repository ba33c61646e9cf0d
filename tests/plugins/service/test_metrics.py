"""Service metrics over a week of tickets whose every figure is worked out by
hand below, for a branch and for the bank; and who may ask for which.

Business time is Monday to Friday, 09:00 to 17:00 in Beijing: 480 minutes a
day. A consultation of normal priority for a mass customer is due an answer in
120 business minutes and a resolution in 960 (two days); a complaint's
resolution in 4,800.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.service.models import Survey, Ticket
from tests.plugins.customer.conftest import error_codes
from tests.plugins.service.conftest import Clock, Desk

BEIJING = ZoneInfo("Asia/Shanghai")
METRICS = """
query($from: Date!, $to: Date!, $branch: String) {
  serviceMetrics(periodFrom: $from, periodTo: $to, branchCode: $branch) {
    periodFrom periodTo branchCode
    backlog { age tickets }
    firstResponse { count medianMinutes p90Minutes }
    resolution { count medianMinutes p90Minutes }
    slaCompliance surveys satisfactionAverage nps complaints complaintsPer10kCustomers
  }
}
"""
COMMENT = """
mutation($input: CommentOnTicketInput!) { commentOnTicket(input: $input) { errors { code } } }
"""
WEEK = {"from": "2026-03-02", "to": "2026-03-08"}
"""Monday 2 to Sunday 8 March 2026, in Beijing."""


def feb(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of February 2026 in Beijing."""
    return datetime(2026, 2, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def mar(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 in Beijing (the 2nd is a Monday)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


@pytest.fixture
def metrics_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Metrics are asked for on Monday 9 March, 10:00 in Beijing."""
    now = mar(9, 10)
    monkeypatch.setattr("plugins.service.api.metrics.utcnow", lambda: now)
    return now


@dataclass
class Week:
    """Tickets lived through the API at the moments a test chooses."""

    desk: Desk
    clock: Clock

    async def ticket(
        self,
        customer: dict[str, Any],
        opened: datetime,
        *steps: tuple[datetime, str],
        by: str = "bj.agent",
        **input: Any,
    ) -> dict[str, Any]:
        """Open a ticket, then take each step: a status, or REPLY (a comment the
        customer sees)."""
        self.clock.set(opened)
        ticket = await self.desk.open(customer, by, **input)
        for moment, step in steps:
            self.clock.set(moment)
            if step == "REPLY":
                caller = await self.desk.bank.sign_in(by)
                body = await caller.data(
                    COMMENT,
                    {"input": {"ticketId": ticket["id"], "body": "已回复。", "internal": False}},
                )
                assert body["commentOnTicket"]["errors"] == []
            else:
                comment = "已处理。" if step == "RESOLVED" else None
                await self.desk.move(ticket, step, comment, by)
        return ticket

    async def survey(
        self, ticket: dict[str, Any], satisfaction: int, recommend: int, recorded: datetime
    ) -> None:
        """A survey recorded at a chosen moment (the API records it at the real now)."""
        async with self.desk.runtime.database.transaction(Mode.WRITE) as session:
            ticket_id = await session.scalar(
                select(Ticket.id).where(Ticket.ticket_no == ticket["ticketNo"])
            )
            session.add(
                Survey(
                    ticket_id=ticket_id,
                    satisfaction=satisfaction,
                    recommend=recommend,
                    recorded_by=self.desk.bank.user_ids["bj.agent"],
                    recorded_at=recorded,
                )
            )


async def metrics(desk: Desk, by: str, branch: str | None = None, **period: str) -> dict[str, Any]:
    """The whole response body (GraphQL errors included)."""
    caller = await desk.bank.sign_in(by)
    return await caller.execute(METRICS, (WEEK | period) | {"branch": branch})


def backlog(under_1: int, to_3: int, to_7: int, over_7: int) -> list[dict[str, Any]]:
    return [
        {"age": "UNDER_1_DAY", "tickets": under_1},
        {"age": "1_TO_3_DAYS", "tickets": to_3},
        {"age": "3_TO_7_DAYS", "tickets": to_7},
        {"age": "7_DAYS_OR_MORE", "tickets": over_7},
    ]


async def seed_the_week(desk: Desk, clock: Clock) -> None:
    """Thirteen tickets in BJ-001 and two in SH-001. Each comment gives the
    business minutes to the first response (FR) and to the resolution (RES),
    whether both deadlines were met, and where the ticket is now (Monday
    9 March, 10:00)."""
    week = Week(desk, clock)
    a, b, c = [await desk.customer() for _ in range(3)]
    closed = await desk.customer()
    await desk.bank.change(closed, status="CLOSED")  # not an active customer
    s1, s2 = [await desk.customer(branchCode="SH-001") for _ in range(2)]

    # T1 Mon 09:00: FR 30, RES 120 (due Tue 17:00): met.
    t1 = await week.ticket(
        a,
        mar(2, 9),
        (mar(2, 9, 30), "IN_PROGRESS"),
        (mar(2, 11), "RESOLVED"),
        (mar(2, 11, 30), "CLOSED"),
    )
    await week.survey(t1, 5, 10, recorded=mar(2, 12))
    # T2 Mon 10:00: FR 60, RES Mon 420 + Tue 60 = 480 (due Wed 10:00): met.
    t2 = await week.ticket(
        a,
        mar(2, 10),
        (mar(2, 11), "IN_PROGRESS"),
        (mar(3, 10), "RESOLVED"),
        (mar(3, 10, 30), "CLOSED"),
    )
    await week.survey(t2, 5, 9, recorded=mar(3, 11))
    # T3 Mon 14:00: FR 45 by a reply; waits for the customer from Tue 10:00 to
    # Wed 10:00 (Tue 420 + Wed 60 = 480). RES Mon 180 + Tue 480 + Wed 360 = 1020,
    # less 480 = 540. Due Wed 14:00, moved on by the 480 waited to Thu 14:00: met.
    t3 = await week.ticket(
        a,
        mar(2, 14),
        (mar(2, 14, 45), "REPLY"),
        (mar(3, 10), "PENDING_CUSTOMER"),
        (mar(4, 10), "IN_PROGRESS"),
        (mar(4, 15), "RESOLVED"),
        (mar(4, 16), "CLOSED"),
    )
    await week.survey(t3, 2, 6, recorded=mar(4, 17))
    # T4 Tue 09:00: FR 180, past its 120: not met. RES 420.
    t4 = await week.ticket(
        a,
        mar(3, 9),
        (mar(3, 12), "IN_PROGRESS"),
        (mar(3, 16), "RESOLVED"),
        (mar(3, 17), "CLOSED"),
    )
    # recorded Monday 00:30 in Beijing (Sunday in UTC): after the period
    await week.survey(t4, 5, 10, recorded=mar(9, 0, 30))
    # T5 Tue 16:30: FR Tue 30 + Wed 30 = 60. RES Tue 30 + Wed 480 + Thu 450 = 960,
    # resolved at the very minute it is due (Thu 16:30): met.
    t5 = await week.ticket(
        b,
        mar(3, 16, 30),
        (mar(4, 9, 30), "IN_PROGRESS"),
        (mar(5, 16, 30), "RESOLVED"),
        (mar(6, 10), "CLOSED"),
    )
    await week.survey(t5, 3, 8, recorded=mar(6, 11))
    # T6, a complaint, Wed 10:00: FR 20. RES Wed 420 + Thu 480 + Fri 120 = 1020: met.
    t6 = await week.ticket(
        b,
        mar(4, 10),
        (mar(4, 10, 20), "IN_PROGRESS"),
        (mar(6, 11), "RESOLVED"),
        (mar(6, 12), "CLOSED"),
        kind="COMPLAINT",
    )
    # recorded Sunday 23:30 in Beijing: the last half hour of the period
    await week.survey(t6, 1, 7, recorded=mar(8, 23, 30))
    # T7, a complaint, Thu 15:00: FR 50. In progress, 3 days 19 hours old.
    await week.ticket(b, mar(5, 15), (mar(5, 15, 50), "IN_PROGRESS"), kind="COMPLAINT")
    # T8 Fri 16:00: FR 40 by a reply, still OPEN, 2 days 18 hours old.
    await week.ticket(b, mar(6, 16), (mar(6, 16, 40), "REPLY"))
    # T9 Saturday 11:00 through the app: FR Monday 09:30 = 30 (the weekend is
    # not business time). In progress, 1 day 23 hours old.
    await week.ticket(b, mar(7, 11), (mar(9, 9, 30), "IN_PROGRESS"), channel="APP")
    # T10, opened the week before, Thu 26 Feb 10:00: FR 30. Waits from Fri 10:00
    # to Mon 10:00 (Fri 420 + Mon 60 = 480). RES Thu 420 + Fri 480 + Mon 480 +
    # Tue 120 = 1500, less 480 = 1020. Due Mon 10:00, moved on by 480 to Tue
    # 10:00, resolved Tue 11:00: not met. Resolved in the period, not opened in it.
    await week.ticket(
        c,
        feb(26, 10),
        (feb(26, 10, 30), "IN_PROGRESS"),
        (feb(27, 10), "PENDING_CUSTOMER"),
        (mar(2, 10), "IN_PROGRESS"),
        (mar(3, 11), "RESOLVED"),
    )
    # T11 Mon 23 Feb 09:00, never answered: 14 days old.
    await week.ticket(c, feb(23, 9))
    # T12, a complaint, Monday 9 March 00:30 in Beijing (Sunday in UTC): after
    # the period; 9 hours 30 minutes old.
    await week.ticket(c, mar(9, 0, 30), kind="COMPLAINT")
    # T13 Fri 09:00: FR 10, waiting for the customer since 10:00; 3 days 1 hour old.
    await week.ticket(
        c, mar(6, 9), (mar(6, 9, 10), "IN_PROGRESS"), (mar(6, 10), "PENDING_CUSTOMER")
    )

    # S1 Mon 09:00: FR 90, RES 360: met.
    sh1 = await week.ticket(
        s1,
        mar(2, 9),
        (mar(2, 10, 30), "IN_PROGRESS"),
        (mar(2, 15), "RESOLVED"),
        (mar(2, 16), "CLOSED"),
        by="sh.agent",
    )
    await week.survey(sh1, 4, 10, recorded=mar(3, 10))
    # S2, a complaint, Tue 09:00: FR 150. In progress, 6 days 1 hour old.
    await week.ticket(
        s2, mar(3, 9), (mar(3, 11, 30), "IN_PROGRESS"), by="sh.agent", kind="COMPLAINT"
    )


async def test_the_week_s_figures_for_a_branch_and_for_the_bank(
    desk: Desk, clock: Clock, metrics_now: datetime
):
    await seed_the_week(desk, clock)

    branch = await metrics(desk, "admin", "BJ-001")
    bank = await metrics(desk, "admin")

    assert branch["data"]["serviceMetrics"] == {
        "periodFrom": "2026-03-02",
        "periodTo": "2026-03-08",
        "branchCode": "BJ-001",
        # T12; T8, T9; T7, T13; T11 (resolved and closed tickets are not backlog)
        "backlog": backlog(1, 2, 2, 1),
        # opened in the period and answered: 10 20 30 30 40 | 45 50 60 60 180;
        # median (40 + 45) / 2; p90 the 9th of 10 (nearest rank, not 72 interpolated)
        "firstResponse": {"count": 10, "medianMinutes": 42.5, "p90Minutes": 60.0},
        # resolved in the period: 120 420 480 540 960 1020 1020; p90 the 7th of 7
        "resolution": {"count": 7, "medianMinutes": 540.0, "p90Minutes": 1020.0},
        # T1 T2 T3 T5 T6 of T1 T2 T3 T4 T5 T6 T10: 5 / 7
        "slaCompliance": "71.43",
        # T1 T2 T3 T5 T6: (5 + 5 + 2 + 3 + 1) / 5; promoters 10, 9; detractor 6;
        # passives 8, 7: (2 - 1) / 5
        "surveys": 5,
        "satisfactionAverage": "3.20",
        "nps": "20.00",
        # T6 T7 of 3 active customers: 2 × 10,000 / 3
        "complaints": 2,
        "complaintsPer10kCustomers": "6666.67",
    }
    assert bank["data"]["serviceMetrics"] == {
        "periodFrom": "2026-03-02",
        "periodTo": "2026-03-08",
        "branchCode": None,
        "backlog": backlog(1, 2, 3, 1),  # and S2
        # and 90, 150: 10 20 30 30 40 45 | 50 60 60 90 150 180; p90 the 11th of 12
        "firstResponse": {"count": 12, "medianMinutes": 47.5, "p90Minutes": 150.0},
        # and 360: 120 360 420 480 | 540 960 1020 1020; p90 the 8th of 8
        "resolution": {"count": 8, "medianMinutes": 510.0, "p90Minutes": 1020.0},
        "slaCompliance": "75.00",  # and S1: 6 / 8
        # and S1's (4, 10): 20 / 6; (3 - 1) / 6
        "surveys": 6,
        "satisfactionAverage": "3.33",
        "nps": "33.33",
        # T6 T7 S2 of 5 active customers
        "complaints": 3,
        "complaintsPer10kCustomers": "6000.00",
    }


async def test_a_period_with_nothing_in_it_has_no_averages(
    desk: Desk, clock: Clock, metrics_now: datetime
):
    body = await metrics(desk, "admin")

    assert body["data"]["serviceMetrics"] == {
        "periodFrom": "2026-03-02",
        "periodTo": "2026-03-08",
        "branchCode": None,
        "backlog": backlog(0, 0, 0, 0),
        "firstResponse": {"count": 0, "medianMinutes": None, "p90Minutes": None},
        "resolution": {"count": 0, "medianMinutes": None, "p90Minutes": None},
        "slaCompliance": None,
        "surveys": 0,
        "satisfactionAverage": None,
        "nps": None,
        "complaints": 0,
        "complaintsPer10kCustomers": None,
    }


async def complaints_in_each_branch(desk: Desk) -> None:
    """One complaint in BJ-001, two in SH-001, opened on Monday 2 March."""
    await desk.open(await desk.customer(), kind="COMPLAINT")
    for _ in range(2):
        customer = await desk.customer(branchCode="SH-001")
        await desk.open(customer, by="sh.agent", kind="COMPLAINT")


def scope_of(body: dict[str, Any]) -> tuple[str | None, int]:
    found = body["data"]["serviceMetrics"]
    return found["branchCode"], found["complaints"]


@pytest.mark.parametrize(
    ("by", "branch", "seen"),
    [
        ("bj.manager", None, ("BJ-001", 1)),
        ("bj.manager", "BJ-001", ("BJ-001", 1)),
        ("sh.manager", None, ("SH-001", 2)),
        ("auditor", None, (None, 3)),
        ("auditor", " sh-001 ", ("SH-001", 2)),
        ("admin", "BJ-001", ("BJ-001", 1)),
    ],
)
async def test_branch_staff_see_their_branch_and_head_office_the_bank_or_any_branch(
    desk: Desk, clock: Clock, by: str, branch: str | None, seen: tuple[str | None, int]
):
    await complaints_in_each_branch(desk)

    assert scope_of(await metrics(desk, by, branch)) == seen


@pytest.mark.parametrize(("by", "branch"), [("bj.manager", "SH-001"), ("admin", "GZ-001")])
async def test_a_branch_out_of_scope_or_unknown_is_not_found(
    desk: Desk, clock: Clock, by: str, branch: str
):
    await complaints_in_each_branch(desk)

    body = await metrics(desk, by, branch)

    assert body["data"] is None
    assert error_codes(body) == ["NOT_FOUND"]


@pytest.mark.parametrize("by", ["bj.teller", "bj.rm", "bj.agent", "marketing"])
async def test_staff_without_service_metrics_are_forbidden(desk: Desk, by: str):
    body = await metrics(desk, by)

    assert error_codes(body) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [
        (date(2026, 3, 8), date(2026, 3, 2)),  # ends before it starts
        (date(2025, 3, 8), date(2026, 3, 9)),  # 367 days
        (date(1, 1, 1), date(1, 1, 1)),  # begins before 0001-01-01 00:00 UTC (found by fuzzing)
        (date(9999, 12, 31), date(9999, 12, 31)),  # its end is past the last date there is
    ],
)
async def test_a_period_backwards_or_over_366_days_is_invalid(
    desk: Desk, period_from: date, period_to: date
):
    body = await metrics(desk, "admin", **{"from": str(period_from), "to": str(period_to)})

    assert error_codes(body) == ["INVALID_PERIOD"]


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [
        (date(2026, 3, 2), date(2026, 3, 2)),  # one day
        (date(2025, 3, 9), date(2026, 3, 9)),  # 366 days
    ],
)
async def test_a_period_of_one_to_366_days_is_accepted(
    desk: Desk, clock: Clock, period_from: date, period_to: date
):
    await complaints_in_each_branch(desk)  # opened on Monday 2 March

    body = await metrics(desk, "admin", **{"from": str(period_from), "to": str(period_to)})

    assert scope_of(body) == (None, 3)
