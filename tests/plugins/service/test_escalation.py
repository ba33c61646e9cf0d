"""Escalation: a running deadline within CRM_SLA_WARNING_MINUTES (60) is raised
as AT_RISK, a past one as BREACHED, each once, to the managers of the ticket's
branch and, for a complaint, the customer's relationship manager.

Tickets are opened on Monday 2 March 2026 at 10:00 in Beijing: a NORMAL
consultation of a MASS customer is due a first response at 12:00 and a
resolution on Wednesday the 4th at 10:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.authorization import Role
from core.db import Mode
from core.end_of_day import close_business_days
from core.runtime import Runtime
from plugins.service.escalation import escalate_tickets
from plugins.service.events import TicketEscalated
from plugins.service.models import Escalation
from tests.conftest import StatementCounter
from tests.plugins.customer.conftest import BJ, SH
from tests.plugins.finance.conftest import crm
from tests.plugins.service.conftest import Clock, Desk

BEIJING = ZoneInfo("Asia/Shanghai")
ESCALATIONS = """
query($id: ID!) {
  ticket(id: $id) {
    escalations { deadline level dueAt escalatedAt raisedTo { username } }
  }
}
"""


def bj(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 on Beijing's clocks, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


async def escalate(runtime: Runtime, at: datetime) -> list[TicketEscalated]:
    async with runtime.database.transaction(Mode.WRITE) as session:
        return await escalate_tickets(session, runtime.events, now=at)


def summary(desk: Desk, events: list[TicketEscalated]) -> list[tuple[Any, ...]]:
    """(ticket number, deadline, level, due at, usernames notified) of each escalation."""
    names = {user_id: name for name, user_id in desk.bank.user_ids.items()}
    return [
        (
            event.ticket_no,
            event.deadline.value,
            event.level.value,
            event.due_at,
            tuple(names[user_id] for user_id in event.notify),
        )
        for event in events
    ]


async def escalations_of(desk: Desk, ticket: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(deadline, level, due at, escalated at, raised to) as the API shows them."""
    admin = await desk.bank.sign_in("admin")
    found = (await admin.data(ESCALATIONS, {"id": ticket["id"]}))["ticket"]["escalations"]
    return [
        (
            e["deadline"],
            e["level"],
            datetime.fromisoformat(e["dueAt"]),
            datetime.fromisoformat(e["escalatedAt"]),
            [user["username"] for user in e["raisedTo"]],
        )
        for e in found
    ]


# ---------------------------------------------------------------- when


async def test_nothing_is_escalated_more_than_an_hour_before_the_deadline(desk: Desk, clock: Clock):
    await desk.open(await desk.customer())

    # due 12:00; 10:59 + 60 min = 11:59, before it
    assert await escalate(desk.runtime, bj(2, 10, 59)) == []
    assert await desk.bank.count(Escalation) == 0


async def test_a_deadline_an_hour_away_is_at_risk(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())

    made = await escalate(desk.runtime, bj(2, 11))  # 11:00 + 60 min = 12:00, the deadline

    assert summary(desk, made) == [
        (ticket["ticketNo"], "FIRST_RESPONSE", "AT_RISK", bj(2, 12), ("bj.manager",))
    ]


async def test_a_deadline_reached_is_breached(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())

    made = await escalate(desk.runtime, bj(2, 12))

    assert summary(desk, made) == [
        (ticket["ticketNo"], "FIRST_RESPONSE", "BREACHED", bj(2, 12), ("bj.manager",))
    ]


async def test_each_level_is_escalated_once(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())

    first = await escalate(desk.runtime, bj(2, 11, 30))
    again = await escalate(desk.runtime, bj(2, 11, 45))
    breached = await escalate(desk.runtime, bj(2, 12, 30))
    still = await escalate(desk.runtime, bj(2, 16))

    assert [e.level.value for e in first] == ["AT_RISK"]
    assert again == []
    assert [e.level.value for e in breached] == ["BREACHED"]
    assert still == []
    assert await escalations_of(desk, ticket) == [
        ("FIRST_RESPONSE", "AT_RISK", bj(2, 12), bj(2, 11, 30), ["bj.manager"]),
        ("FIRST_RESPONSE", "BREACHED", bj(2, 12), bj(2, 12, 30), ["bj.manager"]),
    ]


async def test_a_ticket_first_seen_past_its_deadline_is_only_breached(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())

    made = await escalate(desk.runtime, bj(2, 15))

    assert [(e.deadline.value, e.level.value) for e in made] == [("FIRST_RESPONSE", "BREACHED")]
    assert [row[:2] for row in await escalations_of(desk, ticket)] == [
        ("FIRST_RESPONSE", "BREACHED")
    ]


async def test_every_ticket_due_is_escalated_in_one_run(desk: Desk, clock: Clock):
    customer = await desk.customer()
    early = await desk.open(customer)  # response due 12:00
    clock.set(bj(2, 10, 45))
    later = await desk.open(customer)  # response due 12:45
    clock.set(bj(2, 11, 30))
    await desk.open(customer)  # response due 13:30: more than an hour from 12:15

    made = await escalate(desk.runtime, bj(2, 12, 15))

    assert [(e.ticket_no, e.level.value, e.due_at) for e in made] == [
        (early["ticketNo"], "BREACHED", bj(2, 12)),
        (later["ticketNo"], "AT_RISK", bj(2, 12, 45)),
    ]


# ---------------------------------------------------------------- which deadline


async def test_after_the_first_response_the_resolution_deadline_is_escalated(
    desk: Desk, clock: Clock
):
    ticket = await desk.open(await desk.customer())
    clock.set(bj(2, 10, 30))
    await desk.move(ticket, "IN_PROGRESS")

    answered = await escalate(desk.runtime, bj(2, 12, 30))  # the response is not late
    at_risk = await escalate(desk.runtime, bj(4, 9, 30))  # Wednesday, 30 min before 10:00
    breached = await escalate(desk.runtime, bj(4, 10, 30))

    assert answered == []
    assert summary(desk, at_risk + breached) == [
        (ticket["ticketNo"], "RESOLUTION", "AT_RISK", bj(4, 10), ("bj.manager",)),
        (ticket["ticketNo"], "RESOLUTION", "BREACHED", bj(4, 10), ("bj.manager",)),
    ]


async def test_a_customer_visible_comment_moves_escalation_to_the_resolution(
    desk: Desk, clock: Clock
):
    ticket = await desk.open(await desk.customer())
    agent = await desk.bank.sign_in("bj.agent")
    await agent.data(
        "mutation($input: CommentOnTicketInput!) {"
        " commentOnTicket(input: $input) { errors { code } } }",
        {"input": {"ticketId": ticket["id"], "body": "您好，已受理", "internal": False}},
    )

    assert await escalate(desk.runtime, bj(2, 13)) == []
    assert [e.deadline.value for e in await escalate(desk.runtime, bj(4, 11))] == ["RESOLUTION"]


@pytest.mark.parametrize(
    ("status", "comment"),
    [("PENDING_CUSTOMER", "等待客户补充材料"), ("RESOLVED", "已解决")],
)
async def test_a_ticket_whose_clock_is_stopped_is_not_escalated(
    desk: Desk, clock: Clock, status, comment
):
    ticket = await desk.open(await desk.customer())
    await desk.move(ticket, status, comment)

    # a week on: far past both deadlines (12:00 Monday, 10:00 Wednesday)
    assert await escalate(desk.runtime, bj(9, 12)) == []
    assert await escalations_of(desk, ticket) == []


async def test_a_closed_ticket_is_not_escalated(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    await desk.move(ticket, "RESOLVED", "已解决")
    await desk.move(ticket, "CLOSED")

    assert await escalate(desk.runtime, bj(9, 12)) == []


async def test_a_deadline_moved_on_by_a_pause_is_escalated_again(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    await desk.move(ticket, "IN_PROGRESS")
    first = await escalate(desk.runtime, bj(4, 9, 30))  # resolution due Wednesday 10:00
    clock.set(bj(4, 9, 30))
    await desk.move(ticket, "PENDING_CUSTOMER", "等待客户确认")
    clock.set(bj(4, 10, 30))
    resumed = await desk.move(ticket, "IN_PROGRESS")

    # waited 60 min: due 11:00; at 10:30 it is again within the hour
    second = await escalate(desk.runtime, bj(4, 10, 30))

    assert datetime.fromisoformat(resumed["resolutionDueAt"]) == bj(4, 11)
    assert [(e.level.value, e.due_at) for e in first] == [("AT_RISK", bj(4, 10))]
    assert [(e.level.value, e.due_at) for e in second] == [("AT_RISK", bj(4, 11))]


# ---------------------------------------------------------------- to whom


async def test_a_complaint_is_also_raised_to_the_relationship_manager(desk: Desk, clock: Clock):
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    complaint = await desk.open(customer, kind="COMPLAINT")  # NORMAL: 120 min, due 12:00
    consultation = await desk.open(customer)

    made = await escalate(desk.runtime, bj(2, 12))

    assert summary(desk, made) == [
        (complaint["ticketNo"], "FIRST_RESPONSE", "BREACHED", bj(2, 12), ("bj.manager", "bj.rm")),
        (consultation["ticketNo"], "FIRST_RESPONSE", "BREACHED", bj(2, 12), ("bj.manager",)),
    ]
    assert (await escalations_of(desk, complaint))[0][4] == ["bj.manager", "bj.rm"]
    assert (await escalations_of(desk, consultation))[0][4] == ["bj.manager"]


async def test_a_complaint_of_a_customer_without_a_manager_goes_to_the_branch(
    desk: Desk, clock: Clock
):
    complaint = await desk.open(await desk.customer(), kind="COMPLAINT")

    made = await escalate(desk.runtime, bj(2, 12))

    assert summary(desk, made) == [
        (complaint["ticketNo"], "FIRST_RESPONSE", "BREACHED", bj(2, 12), ("bj.manager",))
    ]


async def test_the_managers_of_the_tickets_own_branch_are_told(desk: Desk, clock: Clock):
    second = await desk.bank.add_staff("bj.deputy", Role.BRANCH_MANAGER, branch=BJ)
    await desk.bank.add_staff("bj.retired", Role.BRANCH_MANAGER, branch=BJ, active=False)
    beijing = await desk.open(await desk.customer())
    shanghai = await desk.open(await desk.customer(branchCode=SH), by="sh.agent")

    made = await escalate(desk.runtime, bj(2, 12))

    notified = {event.ticket_no: event.notify for event in made}
    assert notified == {
        beijing["ticketNo"]: (desk.bank.user_ids["bj.manager"], second),
        shanghai["ticketNo"]: (desk.bank.user_ids["sh.manager"],),
    }


async def test_escalations_are_announced_to_other_plugins(desk: Desk, clock: Clock):
    heard: list[TicketEscalated] = []

    async def listen(event, session):  # type: ignore[no-untyped-def]
        heard.append(event)

    ticket = await desk.open(await desk.customer())
    stop = desk.runtime.events.subscribe("service.ticket_escalated", listen)
    try:
        made = await escalate(desk.runtime, bj(2, 11, 30))
        await escalate(desk.runtime, bj(2, 11, 40))  # nothing new, nothing told
    finally:
        stop()

    assert heard == made
    assert len(heard) == 1
    event = heard[0]
    assert event.name == "service.ticket_escalated"
    assert event.ticket_no == ticket["ticketNo"]
    assert event.notify == (desk.bank.user_ids["bj.manager"],)


# ---------------------------------------------------------------- many at once


async def test_tickets_due_are_escalated_a_chunk_at_a_time(
    desk: Desk, clock: Clock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("plugins.service.escalation.CHUNK", 2)
    customer = await desk.customer()
    tickets = [await desk.open(customer) for _ in range(5)]

    made = await escalate(desk.runtime, bj(2, 12, 30))

    assert [(e.ticket_no, e.level.value) for e in made] == [
        (ticket["ticketNo"], "BREACHED") for ticket in tickets
    ]
    assert await desk.bank.count(Escalation) == 5


async def test_a_run_with_nothing_new_to_escalate_writes_nothing(
    desk: Desk, clock: Clock, sql: StatementCounter
):
    customer = await desk.customer()
    for _ in range(3):
        await desk.open(customer)
    await escalate(desk.runtime, bj(2, 12, 30))
    sql.reset()

    # still breached, as recorded: the deadlines are not even read again
    assert await escalate(desk.runtime, bj(2, 17)) == []
    assert [s for s in sql.statements if s.lstrip().upper().startswith("INSERT")] == []


# ---------------------------------------------------------------- the batch and the command


async def test_the_end_of_day_batch_escalates(
    desk: Desk, clock: Clock, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr("plugins.service.escalation.utcnow", clock)
    ticket = await desk.open(await desk.customer())
    clock.set(bj(2, 17, 30))
    tomorrow = desk.runtime.settings.today() + timedelta(days=1)

    closed = await close_business_days(desk.runtime, tomorrow)

    assert [day.report["service.escalation"] for day in closed] == ["1 ticket deadlines escalated"]
    assert await escalations_of(desk, ticket) == [
        ("FIRST_RESPONSE", "BREACHED", bj(2, 12), bj(2, 17, 30), ["bj.manager"])
    ]


async def test_crm_service_escalate_prints_each_escalation_and_a_count(
    desk: Desk, clock: Clock, database_url: str, tmp_path: Path
):
    # opened on 2 March 2026: by now (the command's clock) long past its deadline
    ticket = await desk.open(await desk.customer())

    first = crm(database_url, "service", "escalate", cwd=tmp_path)
    second = crm(database_url, "service", "escalate", cwd=tmp_path)

    assert first.returncode == 0, first.stderr
    # due 12:00 in Beijing = 04:00 UTC
    assert first.stdout.splitlines() == [
        f"{ticket['ticketNo']}: FIRST_RESPONSE BREACHED (due 2026-03-02 04:00 UTC)",
        "1 escalated",
    ]
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == ["0 escalated"]
    async with desk.runtime.database.transaction(Mode.READ) as session:
        recorded = list(await session.scalars(select(Escalation)))
    assert [(e.deadline.value, e.level.value, e.due_at) for e in recorded] == [
        ("FIRST_RESPONSE", "BREACHED", bj(2, 12))
    ]
