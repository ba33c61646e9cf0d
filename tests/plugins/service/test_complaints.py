"""Complaints: the regulatory dates a COMPLAINT ticket records (in the bank's
calendar, not UTC's), and the root cause and compensation a branch manager or
head office records on it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.service.models import Complaint, Ticket
from tests.plugins.customer.conftest import error_codes
from tests.plugins.service.conftest import Clock, Desk, codes

COMPLAINT_FIELDS = """
  ticketNo status
  complaint {
    rootCause compensation { amount currency } compensationNote
    receivedOn acknowledgedOn closedOn
  }
"""
RECORD_COMPLAINT = f"""
mutation($input: RecordComplaintInput!) {{
  recordComplaint(input: $input) {{
    ticket {{ {COMPLAINT_FIELDS} }} errors {{ field message code }}
  }}
}}
"""
COMMENT = """
mutation($input: CommentOnTicketInput!) {
  commentOnTicket(input: $input) { errors { code } }
}
"""
COMPLAINT = f"query($id: ID!) {{ ticket(id: $id) {{ {COMPLAINT_FIELDS} }} }}"


def utc(*moment: int) -> datetime:
    return datetime(*moment, tzinfo=UTC)


async def complaint_of(desk: Desk, ticket: dict[str, Any]) -> dict[str, Any] | None:
    admin = await desk.bank.sign_in("admin")
    return (await admin.data(COMPLAINT, {"id": ticket["id"]}))["ticket"]["complaint"]


async def open_complaint(desk: Desk) -> dict[str, Any]:
    customer = await desk.customer()
    return await desk.open(customer, kind="COMPLAINT", subject="柜台服务态度差")


async def recording(desk: Desk, by: str, ticket: dict[str, Any], **input: Any) -> dict[str, Any]:
    """The whole ``recordComplaint`` response body (GraphQL errors included)."""
    caller = await desk.bank.sign_in(by)
    return await caller.execute(RECORD_COMPLAINT, {"input": {"ticketId": ticket["id"]} | input})


async def stored(desk: Desk, ticket: dict[str, Any]) -> Complaint:
    async with desk.runtime.database.transaction(Mode.READ) as session:
        ticket_id = await session.scalar(
            select(Ticket.id).where(Ticket.ticket_no == ticket["ticketNo"])
        )
        return await session.get_one(Complaint, ticket_id)


async def test_a_complaint_s_dates_are_the_bank_s_dates_of_receipt_first_response_and_close(
    desk: Desk, clock: Clock
):
    """Each moment is after midnight in Beijing but still the day before in UTC,
    so a date taken in UTC would be a day early."""
    clock.set(utc(2026, 3, 2, 16, 30))  # Tuesday 3 March, 00:30 in Beijing
    ticket = await open_complaint(desk)
    opened = await complaint_of(desk, ticket)

    clock.set(utc(2026, 3, 3, 23, 0))  # Wednesday 4 March, 07:00 in Beijing
    await desk.move(ticket, "IN_PROGRESS")
    clock.set(utc(2026, 3, 4, 17, 0))  # Thursday 5 March, 01:00 in Beijing
    await desk.move(ticket, "RESOLVED", "已致歉并说明处理流程。")
    resolved = await complaint_of(desk, ticket)
    clock.set(utc(2026, 3, 5, 17, 0))  # Friday 6 March, 01:00 in Beijing
    await desk.move(ticket, "CLOSED")
    closed = await complaint_of(desk, ticket)

    assert opened == {
        "rootCause": None,
        "compensation": None,
        "compensationNote": None,
        "receivedOn": "2026-03-03",
        "acknowledgedOn": None,
        "closedOn": None,
    }
    assert resolved is not None
    # the resolution, two days on, is not a second acknowledgement
    assert (resolved["acknowledgedOn"], resolved["closedOn"]) == ("2026-03-04", None)
    assert closed is not None
    assert (closed["receivedOn"], closed["acknowledgedOn"], closed["closedOn"]) == (
        "2026-03-03",
        "2026-03-04",
        "2026-03-06",
    )


async def test_a_comment_the_customer_sees_acknowledges_a_complaint_an_internal_one_does_not(
    desk: Desk, clock: Clock
):
    ticket = await open_complaint(desk)  # Monday 2 March, 10:00 in Beijing
    agent = await desk.bank.sign_in("bj.agent")

    clock.set(utc(2026, 3, 2, 3, 0))
    await agent.data(COMMENT, {"input": {"ticketId": ticket["id"], "body": "内部：先查监控录像"}})
    internal = await complaint_of(desk, ticket)
    clock.set(utc(2026, 3, 2, 17, 0))  # Tuesday 3 March, 01:00 in Beijing
    await agent.data(
        COMMENT,
        {
            "input": {
                "ticketId": ticket["id"],
                "body": "您好，我们已收到您的投诉。",
                "internal": False,
            }
        },
    )
    public = await complaint_of(desk, ticket)

    assert internal is not None
    assert public is not None
    assert (internal["acknowledgedOn"], public["acknowledgedOn"]) == (None, "2026-03-03")


async def test_a_consultation_has_no_complaint_record(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)

    assert await complaint_of(desk, ticket) is None


@pytest.mark.parametrize("by", ["bj.manager", "admin"])
async def test_a_manager_records_the_root_cause_and_the_compensation_granted(
    desk: Desk, clock: Clock, by: str
):
    ticket = await open_complaint(desk)

    body = await recording(
        desk,
        by,
        ticket,
        rootCause="SERVICE_ATTITUDE",
        compensation="200.00",
        compensationNote="赠送200元话费补偿。",
    )

    payload = body["data"]["recordComplaint"]
    assert payload["errors"] == []
    assert payload["ticket"]["complaint"] == {
        "rootCause": "SERVICE_ATTITUDE",
        "compensation": {"amount": "200.00", "currency": "CNY"},
        "compensationNote": "赠送200元话费补偿。",
        "receivedOn": "2026-03-02",
        "acknowledgedOn": None,
        "closedOn": None,
    }
    complaint = await stored(desk, ticket)
    assert complaint.compensation_granted_by == desk.bank.user_ids[by]


async def test_the_root_cause_alone_may_be_recorded_and_later_changed(desk: Desk, clock: Clock):
    ticket = await open_complaint(desk)

    await recording(desk, "bj.manager", ticket, rootCause="PROCESS")
    body = await recording(desk, "bj.manager", ticket, rootCause="SYSTEM_FAILURE")

    complaint = body["data"]["recordComplaint"]["ticket"]["complaint"]
    assert (complaint["rootCause"], complaint["compensation"]) == ("SYSTEM_FAILURE", None)


async def test_compensation_without_a_note_is_refused_and_nothing_is_written(
    desk: Desk, clock: Clock
):
    ticket = await open_complaint(desk)

    body = await recording(
        desk, "bj.manager", ticket, rootCause="FEES", compensation="50.00", compensationNote="  "
    )

    payload = body["data"]["recordComplaint"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("REQUIRED", ["input", "compensationNote"])
    ]
    complaint = await stored(desk, ticket)
    # the root cause of the refused call is not kept either
    assert (complaint.root_cause, complaint.compensation, complaint.compensation_granted_by) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize("amount", ["-1.00", "0", "10.005"])
async def test_compensation_must_be_a_positive_amount_exact_to_the_fen(
    desk: Desk, clock: Clock, amount: str
):
    ticket = await open_complaint(desk)

    body = await recording(
        desk, "bj.manager", ticket, compensation=amount, compensationNote="退还手续费。"
    )

    payload = body["data"]["recordComplaint"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_AMOUNT", ["input", "compensation"])
    ]
    assert (await stored(desk, ticket)).compensation is None


async def test_a_ticket_that_is_not_a_complaint_is_refused(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer, kind="AFTER_SALES")

    body = await recording(desk, "bj.manager", ticket, rootCause="PRODUCT")

    assert codes(body["data"]["recordComplaint"]) == ["NOT_A_COMPLAINT"]


async def test_a_closed_complaint_can_no_longer_be_changed(desk: Desk, clock: Clock):
    ticket = await open_complaint(desk)
    await desk.move(ticket, "RESOLVED", "已处理。")
    await desk.move(ticket, "CLOSED")

    body = await recording(desk, "bj.manager", ticket, rootCause="PRODUCT")

    assert codes(body["data"]["recordComplaint"]) == ["TICKET_CLOSED"]
    assert (await stored(desk, ticket)).root_cause is None


async def test_another_branch_s_manager_cannot_find_the_complaint(desk: Desk, clock: Clock):
    ticket = await open_complaint(desk)

    body = await recording(desk, "sh.manager", ticket, rootCause="PRODUCT")

    assert codes(body["data"]["recordComplaint"]) == ["TICKET_NOT_FOUND"]


@pytest.mark.parametrize("by", ["bj.rm", "bj.agent", "auditor"])
async def test_staff_without_complaint_manage_are_forbidden(desk: Desk, clock: Clock, by: str):
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    ticket = await desk.open(customer, kind="COMPLAINT")

    body = await recording(
        desk, by, ticket, rootCause="PRODUCT", compensation="10.00", compensationNote="补偿。"
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert (await stored(desk, ticket)).root_cause is None
