"""Satisfaction surveys: one per closed ticket, scores in range, and a low
score gets the customer's relationship manager (or, without one, whoever took
the survey) a follow-up due the next working day."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import update

from core.db import Mode
from core.settings import Settings
from plugins.customer.models import FollowUp
from plugins.security.models import User
from plugins.service.models import CalendarDay, Survey
from tests.plugins.service.conftest import Clock, Desk, codes

RECORD_SATISFACTION = """
mutation($input: RecordSatisfactionInput!) {
  recordSatisfaction(input: $input) {
    ticket { ticketNo status survey { satisfaction recommend comment recordedAt } }
    errors { field message code }
  }
}
"""
SURVEY = "query($id: ID!) { ticket(id: $id) { survey { satisfaction recommend comment } } }"
FOLLOW_UPS = """
query($id: ID!) {
  customer(id: $id) {
    followUps { title dueOn status assignee { username } createdBy { username } }
  }
}
"""
CLOSE_CUSTOMER = """
mutation($input: CloseCustomerInput!) { closeCustomer(input: $input) { errors { code } } }
"""
FRIDAY = date(2026, 3, 6)
MONDAY_AFTER = date(2026, 3, 9)


@pytest.fixture
def friday(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """It is Friday 6 March 2026, 15:00 in Beijing, for tickets and for the bank's date."""
    clock.set(datetime(2026, 3, 6, 7, 0, tzinfo=UTC))
    monkeypatch.setattr(Settings, "today", lambda self: FRIDAY)


async def closed_ticket(desk: Desk, customer: dict[str, Any] | None = None) -> dict[str, Any]:
    ticket = await desk.open(customer or await desk.customer())
    await desk.move(ticket, "IN_PROGRESS")
    await desk.move(ticket, "RESOLVED", "已告知利率。")
    return await desk.move(ticket, "CLOSED")


async def surveying(
    desk: Desk,
    ticket: dict[str, Any],
    satisfaction: int,
    recommend: int,
    by: str = "bj.agent",
    comment: str | None = None,
) -> dict[str, Any]:
    """The ``recordSatisfaction`` payload (errors included)."""
    caller = await desk.bank.sign_in(by)
    body = await caller.data(
        RECORD_SATISFACTION,
        {
            "input": {
                "ticketId": ticket["id"],
                "satisfaction": satisfaction,
                "recommend": recommend,
                "comment": comment,
            }
        },
    )
    return body["recordSatisfaction"]


async def follow_ups(desk: Desk, customer: dict[str, Any]) -> list[dict[str, Any]]:
    admin = await desk.bank.sign_in("admin")
    return (await admin.data(FOLLOW_UPS, {"id": customer["id"]}))["customer"]["followUps"]


async def test_a_survey_of_a_closed_ticket_is_recorded_and_shown_on_the_ticket(
    desk: Desk, clock: Clock
):
    ticket = await closed_ticket(desk)

    payload = await surveying(desk, ticket, 4, 9, comment="  办理很快。 ")

    assert payload["errors"] == []
    assert payload["ticket"]["survey"]["recordedAt"]
    shown = await desk.bank.sign_in("bj.teller")
    body = await shown.data(SURVEY, {"id": ticket["id"]})
    assert body["ticket"]["survey"] == {"satisfaction": 4, "recommend": 9, "comment": "办理很快。"}


@pytest.mark.parametrize("status", ["OPEN", "IN_PROGRESS", "RESOLVED"])
async def test_a_ticket_not_yet_closed_cannot_be_surveyed(desk: Desk, clock: Clock, status: str):
    customer = await desk.customer()
    ticket = await desk.open(customer)
    if status != "OPEN":
        await desk.move(ticket, status, "已答复。")

    payload = await surveying(desk, ticket, 1, 0)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("TICKET_NOT_CLOSED", ["input", "ticketId"])
    ]
    assert await desk.bank.count(Survey) == 0
    assert await desk.bank.count(FollowUp) == 0


async def test_a_ticket_is_surveyed_once(desk: Desk, clock: Clock):
    ticket = await closed_ticket(desk)
    await surveying(desk, ticket, 5, 10)

    again = await surveying(desk, ticket, 1, 0)

    assert codes(again) == ["SURVEY_ALREADY_RECORDED"]
    admin = await desk.bank.sign_in("admin")
    body = await admin.data(SURVEY, {"id": ticket["id"]})
    assert body["ticket"]["survey"] == {"satisfaction": 5, "recommend": 10, "comment": None}
    assert await desk.bank.count(FollowUp) == 0  # the refused score of 1 asked for none


@pytest.mark.parametrize(
    ("satisfaction", "recommend", "field"),
    [
        (0, 5, "satisfaction"),
        (6, 5, "satisfaction"),
        (3, -1, "recommend"),
        (3, 11, "recommend"),
    ],
)
async def test_scores_out_of_range_are_refused_and_nothing_is_written(
    desk: Desk, clock: Clock, satisfaction: int, recommend: int, field: str
):
    ticket = await closed_ticket(desk)

    payload = await surveying(desk, ticket, satisfaction, recommend)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_SCORE", ["input", field])
    ]
    assert await desk.bank.count(Survey) == 0
    assert await desk.bank.count(FollowUp) == 0


@pytest.mark.parametrize(("satisfaction", "recommend"), [(1, 0), (5, 10)])
async def test_the_ends_of_each_scale_are_accepted(
    desk: Desk, clock: Clock, satisfaction: int, recommend: int
):
    ticket = await closed_ticket(desk)

    payload = await surveying(desk, ticket, satisfaction, recommend)

    assert payload["errors"] == []
    assert payload["ticket"]["survey"]["satisfaction"] == satisfaction


async def test_a_low_score_on_friday_gets_the_relationship_manager_a_follow_up_due_monday(
    desk: Desk, friday: None
):
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    ticket = await closed_ticket(desk, customer)

    payload = await surveying(desk, ticket, 2, 3)

    assert payload["errors"] == []
    assert await follow_ups(desk, customer) == [
        {
            "title": f"客户满意度低 (2/5): 回访工单 {ticket['ticketNo']}",
            "dueOn": MONDAY_AFTER.isoformat(),
            "status": "OPEN",
            "assignee": {"username": "bj.rm"},
            "createdBy": {"username": "bj.agent"},
        }
    ]


@pytest.mark.parametrize(
    ("day", "working", "due"),
    [
        (MONDAY_AFTER, False, "2026-03-10"),  # a holiday Monday is skipped
        (date(2026, 3, 7), True, "2026-03-07"),  # a Saturday worked instead (调休) is not
    ],
)
async def test_the_follow_up_is_due_on_the_next_day_of_the_bank_s_calendar(
    desk: Desk, friday: None, day: date, working: bool, due: str
):
    async with desk.runtime.database.transaction(Mode.WRITE) as session:
        session.add(CalendarDay(day=day, working=working, name="节假日调整"))
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    ticket = await closed_ticket(desk, customer)

    await surveying(desk, ticket, 1, 0)

    assert [f["dueOn"] for f in await follow_ups(desk, customer)] == [due]


async def test_a_score_of_3_is_not_low(desk: Desk, friday: None):
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    ticket = await closed_ticket(desk, customer)

    payload = await surveying(desk, ticket, 3, 0)

    assert payload["errors"] == []
    assert await follow_ups(desk, customer) == []
    assert await desk.bank.count(FollowUp) == 0


async def test_without_a_relationship_manager_the_follow_up_goes_to_whoever_took_the_survey(
    desk: Desk, friday: None
):
    customer = await desk.customer()
    ticket = await closed_ticket(desk, customer)

    await surveying(desk, ticket, 2, 5, by="bj.teller")

    assert [(f["assignee"]["username"], f["dueOn"]) for f in await follow_ups(desk, customer)] == [
        ("bj.teller", "2026-03-09")
    ]


async def test_a_relationship_manager_who_has_left_is_passed_over_for_whoever_took_the_survey(
    desk: Desk, friday: None
):
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    ticket = await closed_ticket(desk, customer)
    async with desk.runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(update(User).where(User.username == "bj.rm").values(is_active=False))

    payload = await surveying(desk, ticket, 1, 2)

    assert payload["errors"] == []
    assert [f["assignee"]["username"] for f in await follow_ups(desk, customer)] == ["bj.agent"]


async def test_each_low_survey_gets_its_own_follow_up(desk: Desk, friday: None):
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    first, second = await closed_ticket(desk, customer), await closed_ticket(desk, customer)

    await surveying(desk, first, 2, 6)
    await surveying(desk, second, 1, 6)

    assert await desk.bank.count(FollowUp) == 2


async def test_a_low_score_for_a_customer_closed_since_is_still_recorded(desk: Desk, friday: None):
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    ticket = await closed_ticket(desk, customer)
    admin = await desk.bank.sign_in("admin")
    closing = await admin.data(
        CLOSE_CUSTOMER, {"input": {"customerId": customer["id"], "reason": "客户销户"}}
    )
    assert closing["closeCustomer"]["errors"] == []

    payload = await surveying(desk, ticket, 1, 0)

    assert payload["errors"] == []
    assert await desk.bank.count(Survey) == 1
