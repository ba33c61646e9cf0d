"""Tickets through the API: opening, the status machine, comments and first
response, assignment, the ticket lists and who may see what."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.authorization import Role
from core.check_digits import has_valid_luhn_digit
from plugins.customer.models import CustomerStatus
from plugins.service.models import Complaint, Ticket, TicketComment, TicketTransition
from tests.plugins.customer.conftest import BJ, SH, error_codes, global_id
from tests.plugins.service.conftest import Clock, Desk

BEIJING = ZoneInfo("Asia/Shanghai")
STATUSES = ("OPEN", "IN_PROGRESS", "PENDING_CUSTOMER", "RESOLVED", "CLOSED")
ALLOWED = {
    ("OPEN", "IN_PROGRESS"),
    ("OPEN", "PENDING_CUSTOMER"),
    ("OPEN", "RESOLVED"),
    ("IN_PROGRESS", "PENDING_CUSTOMER"),
    ("IN_PROGRESS", "RESOLVED"),
    ("PENDING_CUSTOMER", "IN_PROGRESS"),
    ("PENDING_CUSTOMER", "RESOLVED"),
    ("RESOLVED", "CLOSED"),
    ("RESOLVED", "IN_PROGRESS"),
}
ILLEGAL = sorted(set(itertools.product(STATUSES, STATUSES)) - ALLOWED)
ON_THE_WAY = {
    "OPEN": (),
    "IN_PROGRESS": ("IN_PROGRESS",),
    "PENDING_CUSTOMER": ("PENDING_CUSTOMER",),
    "RESOLVED": ("RESOLVED",),
    "CLOSED": ("RESOLVED", "CLOSED"),
}
"""How a new ticket is brought to each status."""

HISTORY = """
query($id: ID!) {
  ticket(id: $id) {
    status
    history { fromStatus toStatus comment madeAt madeBy { username } }
  }
}
"""
COMMENT = """
mutation($input: CommentOnTicketInput!) {
  commentOnTicket(input: $input) {
    comment { body internal writtenAt writtenBy { username } }
    ticket { firstRespondedAt }
    errors { field message code }
  }
}
"""
COMMENTS = """
query($id: ID!) {
  ticket(id: $id) {
    all: comments { body internal writtenBy { username } }
    visible: comments(includeInternal: false) { body }
  }
}
"""
ASSIGN = """
mutation($input: AssignTicketInput!) {
  assignTicket(input: $input) {
    ticket { assignee { username } queue { code } }
    errors { field message code }
  }
}
"""
TICKETS = """
query($first: Int, $after: String, $filter: TicketFilter) {
  tickets(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { node { ticketNo } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
TICKET_NO = "query($id: ID!) { ticket(id: $id) { ticketNo } }"
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Ticket { ticketNo } } }"
CUSTOMER_TICKETS = """
query($id: ID!, $status: [TicketStatus!]) {
  customer(id: $id) { tickets(status: $status) { ticketNo } }
}
"""


def bj(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment of March 2026 on Beijing's clocks, as UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text is not None else None


def refusal(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def ticket_in(desk: Desk, status: str) -> dict[str, Any]:
    """A new ticket of a BJ customer, moved to ``status``."""
    ticket = await desk.open(await desk.customer())
    for step in ON_THE_WAY[status]:
        ticket = await desk.move(ticket, step, "处理说明")
    return ticket


async def history(desk: Desk, ticket: dict[str, Any], by: str = "admin") -> list[tuple]:
    caller = await desk.bank.sign_in(by)
    found = (await caller.data(HISTORY, {"id": ticket["id"]}))["ticket"]
    return [
        (h["fromStatus"], h["toStatus"], h["comment"], h["madeBy"]["username"], moment(h["madeAt"]))
        for h in found["history"]
    ]


async def comment(
    desk: Desk, ticket: dict[str, Any], body: str, internal: bool, by: str = "bj.agent"
) -> dict[str, Any]:
    """The ``commentOnTicket`` payload (errors included)."""
    caller = await desk.bank.sign_in(by)
    variables = {"input": {"ticketId": ticket["id"], "body": body, "internal": internal}}
    return (await caller.data(COMMENT, variables))["commentOnTicket"]


async def assign(
    desk: Desk, ticket: dict[str, Any], to: str | None, by: str = "bj.manager"
) -> dict[str, Any]:
    """The ``assignTicket`` payload (errors included)."""
    caller = await desk.bank.sign_in(by)
    assignee = desk.bank.user(to) if to is not None else None
    variables = {"input": {"ticketId": ticket["id"], "assigneeId": assignee}}
    return (await caller.data(ASSIGN, variables))["assignTicket"]


async def listed(desk: Desk, by: str = "admin", **variables: Any) -> dict[str, Any]:
    caller = await desk.bank.sign_in(by)
    return (await caller.data(TICKETS, variables))["tickets"]


def numbers(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["ticketNo"] for edge in connection["edges"]]


async def rows(desk: Desk) -> tuple[int, int, int, int]:
    """How many tickets, complaints, comments and transitions are stored."""
    return (
        await desk.bank.count(Ticket),
        await desk.bank.count(Complaint),
        await desk.bank.count(TicketComment),
        await desk.bank.count(TicketTransition),
    )


# ---------------------------------------------------------------- opening


async def test_a_ticket_opens_in_the_queue_of_the_customers_branch(desk: Desk, clock: Clock):
    customer = await desk.customer()

    ticket = await desk.open(
        customer,
        kind="AFTER_SALES",
        priority="HIGH",
        channel="PHONE",
        accountNo="6222020200012345678",
        transactionReference="20260302000123",
    )

    assert ticket["status"] == "OPEN"
    assert (ticket["kind"], ticket["priority"], ticket["channel"]) == (
        "AFTER_SALES",
        "HIGH",
        "PHONE",
    )
    assert ticket["subject"] == "咨询大额存单利率"
    assert ticket["accountNo"] == "6222020200012345678"
    assert ticket["transactionReference"] == "20260302000123"
    assert ticket["customer"] == {"customerNo": customer["customerNo"]}
    assert ticket["queue"] == {"code": "BJ-001"}
    assert ticket["assignee"] is None
    assert ticket["firstRespondedAt"] is None
    assert moment(ticket["createdAt"]) == bj(2, 10)


@pytest.mark.parametrize("opener", ["sh.agent", "admin"])
async def test_a_shanghai_customers_ticket_waits_in_shanghais_queue(
    desk: Desk, clock: Clock, opener
):
    customer = await desk.customer(branchCode=SH)

    ticket = await desk.open(customer, by=opener)

    assert ticket["queue"] == {"code": "SH-001"}


async def test_subject_and_description_are_trimmed(desk: Desk, clock: Clock):
    customer = await desk.customer()

    ticket = await desk.open(customer, subject="  挂失  ", description="\t补办银行卡 ")

    assert (ticket["subject"], ticket["description"]) == ("挂失", "补办银行卡")


async def test_the_longest_subject_and_description_are_accepted(desk: Desk, clock: Clock):
    customer = await desk.customer()

    ticket = await desk.open(customer, subject="问" * 200, description="述" * 4000)

    assert (len(ticket["subject"]), len(ticket["description"])) == (200, 4000)


async def test_ticket_numbers_are_t_and_ten_digits_with_a_check_digit(desk: Desk, clock: Clock):
    customer = await desk.customer()

    found = [(await desk.open(customer))["ticketNo"] for _ in range(3)]

    assert all(re.fullmatch(r"T\d{10}", number) for number in found), found
    assert all(has_valid_luhn_digit(number[1:]) for number in found), found
    assert len(set(found)) == 3


BAD_INPUT = [
    ({"subject": ""}, "REQUIRED", "subject"),
    ({"subject": "   "}, "REQUIRED", "subject"),
    ({"subject": "问" * 201}, "TOO_LONG", "subject"),
    ({"subject": "挂失\x07"}, "INVALID_CHARACTERS", "subject"),
    ({"description": ""}, "REQUIRED", "description"),
    ({"description": "述" * 4001}, "TOO_LONG", "description"),
    ({"description": "第一行\x1b第二行"}, "INVALID_CHARACTERS", "description"),
    ({"accountNo": "6" * 41}, "TOO_LONG", "accountNo"),
    ({"transactionReference": "流水\x1b"}, "INVALID_CHARACTERS", "transactionReference"),
]


@pytest.mark.parametrize(("changes", "code", "field"), BAD_INPUT)
async def test_bad_input_is_refused_and_nothing_is_written(
    desk: Desk, clock: Clock, changes, code, field
):
    customer = await desk.customer()

    payload = await desk.opening(customer, kind="COMPLAINT", **changes)

    assert payload["ticket"] is None
    assert refusal(payload) == [(code, ["input", field])]
    assert await rows(desk) == (0, 0, 0, 0)


async def test_an_unknown_customer_is_not_found(desk: Desk, clock: Clock):
    missing = {"id": global_id("Customer", 999_999)}
    not_a_customer = {"id": desk.bank.user("bj.agent")}

    for customer in (missing, not_a_customer):
        payload = await desk.opening(customer)
        assert refusal(payload) == [("NOT_FOUND", ["input", "customerId"])]
    assert await rows(desk) == (0, 0, 0, 0)


async def test_a_customer_out_of_scope_looks_missing(desk: Desk, clock: Clock):
    shanghai = await desk.customer(branchCode=SH)

    payload = await desk.opening(shanghai, by="bj.agent")

    assert refusal(payload) == [("NOT_FOUND", ["input", "customerId"])]
    assert await rows(desk) == (0, 0, 0, 0)


async def test_a_closed_customer_gets_no_new_ticket(desk: Desk, clock: Clock):
    customer = await desk.customer()
    await desk.bank.change(customer, status=CustomerStatus.CLOSED)

    payload = await desk.opening(customer)

    assert refusal(payload) == [("CUSTOMER_CLOSED", ["input", "customerId"])]
    assert await rows(desk) == (0, 0, 0, 0)


async def test_a_refused_ticket_uses_no_ticket_number(desk: Desk, clock: Clock):
    customer = await desk.customer()
    first = await desk.open(customer)

    await desk.opening(customer, subject="")
    second = await desk.open(customer)

    assert int(second["ticketNo"][1:10]) == int(first["ticketNo"][1:10]) + 1


async def test_marketing_may_not_open_tickets(desk: Desk, clock: Clock):
    customer = await desk.customer()
    marketing = await desk.bank.sign_in("marketing")

    body = await marketing.execute(
        "mutation($input: CreateTicketInput!) { createTicket(input: $input) { errors { code } } }",
        {
            "input": {
                "customerId": customer["id"],
                "kind": "CONSULTATION",
                "priority": "NORMAL",
                "subject": "推荐理财",
                "description": "营销",
            }
        },
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await desk.bank.count(Ticket) == 0


# ---------------------------------------------------------------- the status machine


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
async def test_every_allowed_transition_is_made(desk: Desk, clock: Clock, source, target):
    ticket = await ticket_in(desk, source)
    clock.set(bj(2, 11))

    moved = await desk.move(ticket, target, "继续处理")

    assert moved["status"] == target
    assert (await history(desk, ticket))[-1] == (source, target, "继续处理", "bj.agent", bj(2, 11))


@pytest.mark.parametrize(("source", "target"), ILLEGAL)
async def test_an_illegal_transition_is_refused_and_changes_nothing(
    desk: Desk, clock: Clock, source, target
):
    ticket = await ticket_in(desk, source)
    before = (await desk.get(ticket), await history(desk, ticket))

    payload = await desk.moving(ticket, target, "试图变更")

    assert payload["ticket"] is None
    assert refusal(payload) == [("ILLEGAL_TRANSITION", ["input", "status"])]
    assert (await desk.get(ticket), await history(desk, ticket)) == before


async def test_resolving_records_when_and_the_note_and_closing_when(desk: Desk, clock: Clock):
    ticket = await ticket_in(desk, "IN_PROGRESS")
    clock.set(bj(2, 11))
    resolved = await desk.move(ticket, "RESOLVED", "  已为客户重置密码  ")
    clock.set(bj(3, 9))

    closed = await desk.move(ticket, "CLOSED")

    assert moment(resolved["resolvedAt"]) == bj(2, 11)
    assert resolved["resolution"] == "已为客户重置密码"
    assert resolved["closedAt"] is None
    assert moment(closed["closedAt"]) == bj(3, 9)
    assert moment(closed["resolvedAt"]) == bj(2, 11)


@pytest.mark.parametrize("note", [None, "", "   "])
async def test_resolving_needs_a_resolution_note(desk: Desk, clock: Clock, note):
    ticket = await ticket_in(desk, "IN_PROGRESS")

    payload = await desk.moving(ticket, "RESOLVED", note)

    assert refusal(payload) == [("RESOLUTION_REQUIRED", ["input", "comment"])]
    found = await desk.get(ticket)
    assert (found["status"], found["resolvedAt"], found["resolution"]) == (
        "IN_PROGRESS",
        None,
        None,
    )


@pytest.mark.parametrize("reason", [None, "   "])
async def test_reopening_needs_a_reason(desk: Desk, clock: Clock, reason):
    ticket = await ticket_in(desk, "RESOLVED")

    payload = await desk.moving(ticket, "IN_PROGRESS", reason)

    assert refusal(payload) == [("REASON_REQUIRED", ["input", "comment"])]
    found = await desk.get(ticket)
    assert found["status"] == "RESOLVED"
    assert moment(found["resolvedAt"]) == bj(2, 10)


async def test_reopening_clears_when_it_was_resolved(desk: Desk, clock: Clock):
    ticket = await ticket_in(desk, "RESOLVED")
    clock.set(bj(3, 10))

    reopened = await desk.move(ticket, "IN_PROGRESS", "客户反馈问题仍未解决")

    assert reopened["status"] == "IN_PROGRESS"
    assert reopened["resolvedAt"] is None
    assert (await history(desk, ticket))[-1] == (
        "RESOLVED",
        "IN_PROGRESS",
        "客户反馈问题仍未解决",
        "bj.agent",
        bj(3, 10),
    )


async def test_a_comment_with_control_characters_is_refused(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())

    payload = await desk.moving(ticket, "IN_PROGRESS", "处理\x07中")

    assert refusal(payload) == [("INVALID_CHARACTERS", ["input", "comment"])]
    assert (await desk.get(ticket))["status"] == "OPEN"


async def test_the_history_lists_each_transition_and_who_made_it(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    steps = [
        (bj(2, 10, 30), "bj.agent", "IN_PROGRESS", None),
        (bj(2, 11), "bj.manager", "PENDING_CUSTOMER", "等待客户补充材料"),
        (bj(2, 14), "bj.agent", "IN_PROGRESS", "客户已补充"),
        (bj(2, 15), "bj.teller", "RESOLVED", "已办结"),
        (bj(3, 9), "bj.manager", "CLOSED", None),
    ]
    for at, who, status, note in steps:
        clock.set(at)
        await desk.move(ticket, status, note, by=who)

    assert await history(desk, ticket, by="bj.agent") == [
        ("OPEN", "IN_PROGRESS", None, "bj.agent", bj(2, 10, 30)),
        ("IN_PROGRESS", "PENDING_CUSTOMER", "等待客户补充材料", "bj.manager", bj(2, 11)),
        ("PENDING_CUSTOMER", "IN_PROGRESS", "客户已补充", "bj.agent", bj(2, 14)),
        ("IN_PROGRESS", "RESOLVED", "已办结", "bj.teller", bj(2, 15)),
        ("RESOLVED", "CLOSED", None, "bj.manager", bj(3, 9)),
    ]


async def test_the_first_move_out_of_open_is_the_first_response(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    clock.set(bj(2, 10, 45))
    await desk.move(ticket, "PENDING_CUSTOMER", "请客户提供卡号")
    clock.set(bj(2, 13))

    moved = await desk.move(ticket, "IN_PROGRESS")

    assert moment(moved["firstRespondedAt"]) == bj(2, 10, 45)


# ---------------------------------------------------------------- comments


async def test_comments_are_internal_unless_said_and_listed_oldest_first(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    await comment(desk, ticket, "客户情绪激动，注意沟通", internal=True)
    await comment(desk, ticket, "您好，已收到您的咨询", internal=False, by="bj.manager")
    caller = await desk.bank.sign_in("bj.agent")
    default = await caller.data(
        "mutation($input: CommentOnTicketInput!) {"
        " commentOnTicket(input: $input) { comment { internal } errors { code } } }",
        {"input": {"ticketId": ticket["id"], "body": "内部备注"}},
    )

    found = (await caller.data(COMMENTS, {"id": ticket["id"]}))["ticket"]

    assert default["commentOnTicket"] == {"comment": {"internal": True}, "errors": []}
    assert found["all"] == [
        {"body": "客户情绪激动，注意沟通", "internal": True, "writtenBy": {"username": "bj.agent"}},
        {
            "body": "您好，已收到您的咨询",
            "internal": False,
            "writtenBy": {"username": "bj.manager"},
        },
        {"body": "内部备注", "internal": True, "writtenBy": {"username": "bj.agent"}},
    ]
    assert found["visible"] == [{"body": "您好，已收到您的咨询"}]


async def test_an_internal_comment_is_no_response(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    clock.set(bj(2, 10, 15))

    payload = await comment(desk, ticket, "需要核实流水", internal=True)

    assert payload["errors"] == []
    assert payload["ticket"]["firstRespondedAt"] is None
    found = await desk.get(ticket)
    assert found["firstRespondedAt"] is None
    assert moment(found["slaDueAt"]) == bj(2, 12)  # still the response deadline


async def test_the_first_comment_the_customer_sees_is_the_first_response(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    clock.set(bj(2, 10, 30))
    payload = await comment(desk, ticket, "您好，正在为您查询", internal=False)
    clock.set(bj(2, 11))
    await comment(desk, ticket, "查询结果如下……", internal=False)
    clock.set(bj(2, 11, 30))

    moved = await desk.move(ticket, "IN_PROGRESS")

    assert moment(payload["ticket"]["firstRespondedAt"]) == bj(2, 10, 30)
    assert moment(moved["firstRespondedAt"]) == bj(2, 10, 30)
    assert moved["status"] == "IN_PROGRESS"


@pytest.mark.parametrize(("body", "code"), [("", "REQUIRED"), ("述" * 4001, "TOO_LONG")])
async def test_a_bad_comment_is_refused(desk: Desk, clock: Clock, body, code):
    ticket = await desk.open(await desk.customer())

    payload = await comment(desk, ticket, body, internal=False)

    assert refusal(payload) == [(code, ["input", "body"])]
    assert await desk.bank.count(TicketComment) == 0
    assert (await desk.get(ticket))["firstRespondedAt"] is None


async def test_a_closed_ticket_takes_no_comment_and_no_assignment(desk: Desk, clock: Clock):
    ticket = await ticket_in(desk, "CLOSED")

    commented = await comment(desk, ticket, "补充说明", internal=True)
    assigned = await assign(desk, ticket, "bj.agent")

    assert refusal(commented) == [("TICKET_CLOSED", ["input", "ticketId"])]
    assert refusal(assigned) == [("TICKET_CLOSED", ["input", "ticketId"])]
    assert await desk.bank.count(TicketComment) == 0
    assert (await desk.get(ticket))["assignee"] is None


# ---------------------------------------------------------------- assignment


async def test_a_ticket_is_assigned_to_an_agent_and_back_to_the_queue(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())

    assigned = await assign(desk, ticket, "bj.agent")
    queued = await assign(desk, ticket, None)

    assert assigned == {
        "ticket": {"assignee": {"username": "bj.agent"}, "queue": {"code": "BJ-001"}},
        "errors": [],
    }
    assert queued["ticket"] == {"assignee": None, "queue": {"code": "BJ-001"}}
    assert (await desk.get(ticket))["assignee"] is None


async def test_a_ticket_is_not_assigned_to_staff_who_cannot_reach_the_customer(
    desk: Desk, clock: Clock
):
    await desk.bank.add_staff("bj.gone", Role.SERVICE_AGENT, branch=BJ, active=False)
    ticket = await desk.open(await desk.customer())
    await assign(desk, ticket, "bj.agent")

    # a Shanghai agent, a relationship manager whose portfolio it is not in, and
    # an agent of the branch who has left
    for who in ("sh.agent", "bj.rm", "bj.gone"):
        payload = await assign(desk, ticket, who)
        assert refusal(payload) == [("NOT_FOUND", ["input", "assigneeId"])], who
    assert (await desk.get(ticket))["assignee"] == {"username": "bj.agent"}


async def test_a_relationship_manager_takes_tickets_of_their_portfolio(desk: Desk, clock: Clock):
    customer = await desk.customer()
    await desk.bank.assign(customer, "bj.rm")
    ticket = await desk.open(customer)

    payload = await assign(desk, ticket, "bj.rm")

    assert payload["ticket"]["assignee"] == {"username": "bj.rm"}


async def test_assigning_to_someone_who_is_not_staff_is_not_found(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    caller = await desk.bank.sign_in("bj.manager")

    for assignee in (global_id("User", 999_999), ticket["id"]):
        body = await caller.data(
            ASSIGN, {"input": {"ticketId": ticket["id"], "assigneeId": assignee}}
        )
        assert refusal(body["assignTicket"]) == [("NOT_FOUND", ["input", "assigneeId"])]


async def test_a_ticket_is_not_assigned_to_someone_who_may_not_work_tickets(
    desk: Desk, clock: Clock
):
    ticket = await desk.open(await desk.customer())

    payload = await assign(desk, ticket, "marketing")

    assert refusal(payload) == [("NOT_FOUND", ["input", "assigneeId"])]


# ---------------------------------------------------------------- lists and scope


async def three_tickets(desk: Desk, customer: dict[str, Any] | None = None) -> tuple[str, str, str]:
    """A: a consultation left OPEN in the queue; B: a complaint IN_PROGRESS with
    bj.agent; C: a request RESOLVED, in the queue. Their numbers, in that order."""
    customer = customer or await desk.customer()
    a = await desk.open(customer)
    b = await desk.open(customer, kind="COMPLAINT")
    await desk.move(b, "IN_PROGRESS")
    await assign(desk, b, "bj.agent")
    c = await desk.open(customer, kind="REQUEST")
    await desk.move(c, "RESOLVED", "已办理")
    return a["ticketNo"], b["ticketNo"], c["ticketNo"]


async def test_the_list_is_newest_first_and_pages(desk: Desk, clock: Clock):
    a, b, c = await three_tickets(desk)

    everything = await listed(desk)
    first = await listed(desk, first=2)
    rest = await listed(desk, first=2, after=first["pageInfo"]["endCursor"])

    assert numbers(everything) == [c, b, a]
    assert everything["totalCount"] == 3
    assert numbers(first) == [c, b]
    assert first["pageInfo"]["hasNextPage"] is True
    assert numbers(rest) == [a]
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"status": ["IN_PROGRESS"]}, "B"),
        ({"status": ["OPEN", "RESOLVED"]}, "CA"),
        ({"kind": ["COMPLAINT"]}, "B"),
        ({"kind": ["CONSULTATION", "REQUEST"]}, "CA"),
        ({"unassigned": True}, "CA"),
        ({"unassigned": False}, "B"),
        ({"kind": ["COMPLAINT"], "status": ["OPEN"]}, ""),
        ({"status": []}, "CBA"),
    ],
)
async def test_the_list_filters(desk: Desk, clock: Clock, filter, expected):
    a, b, c = await three_tickets(desk)
    letters = {a: "A", b: "B", c: "C"}

    found = await listed(desk, by="bj.agent", filter=filter)

    assert "".join(letters[number] for number in numbers(found)) == expected
    assert found["totalCount"] == len(expected)


async def test_the_list_filters_by_assignee(desk: Desk, clock: Clock):
    _, b, _ = await three_tickets(desk)

    mine = await listed(desk, filter={"assigneeId": desk.bank.user("bj.agent")})
    theirs = await listed(desk, filter={"assigneeId": desk.bank.user("bj.teller")})

    assert numbers(mine) == [b]
    assert numbers(theirs) == []


@pytest.mark.parametrize(
    "assignee",
    [global_id("Customer", 1), global_id("User", "abc")],
    ids=["a-customers-id", "not-a-number"],
)
async def test_the_list_filtered_by_an_id_that_is_no_users_is_empty(
    desk: Desk, clock: Clock, assignee
):
    await three_tickets(desk)  # A and C wait in the queue

    found = await listed(desk, filter={"assigneeId": assignee})

    assert (numbers(found), found["totalCount"]) == ([], 0)


async def test_staff_list_only_the_tickets_of_customers_in_their_scope(desk: Desk, clock: Clock):
    beijing = await desk.customer()
    managed = await desk.customer()
    await desk.bank.assign(managed, "bj.rm")
    shanghai = await desk.customer(branchCode=SH)
    in_beijing = await desk.open(beijing)
    in_portfolio = await desk.open(managed)
    in_shanghai = await desk.open(shanghai, by="sh.agent")

    def seen(connection: dict[str, Any]) -> set[str]:
        return set(numbers(connection))

    assert seen(await listed(desk, by="bj.agent")) == {
        in_beijing["ticketNo"],
        in_portfolio["ticketNo"],
    }
    assert seen(await listed(desk, by="sh.agent")) == {in_shanghai["ticketNo"]}
    assert seen(await listed(desk, by="bj.rm")) == {in_portfolio["ticketNo"]}
    assert (await listed(desk, by="auditor"))["totalCount"] == 3


async def test_a_ticket_out_of_scope_looks_missing(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    shanghai = await desk.bank.sign_in("sh.agent")
    beijing = await desk.bank.sign_in("bj.agent")

    assert (await shanghai.data(TICKET_NO, {"id": ticket["id"]}))["ticket"] is None
    assert (await shanghai.data(NODE, {"id": ticket["id"]}))["node"] is None
    assert (await listed(desk, by="sh.agent"))["totalCount"] == 0
    # the control: in scope, both find it
    assert (await beijing.data(TICKET_NO, {"id": ticket["id"]}))["ticket"] == {
        "ticketNo": ticket["ticketNo"]
    }
    assert (await beijing.data(NODE, {"id": ticket["id"]}))["node"] == {
        "__typename": "Ticket",
        "ticketNo": ticket["ticketNo"],
    }


async def test_a_customer_shared_with_other_staff_brings_their_tickets(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)
    await desk.bank.share(customer, "sh.agent")

    seen = await listed(desk, by="sh.agent")
    assigned = await assign(desk, ticket, "sh.agent")

    assert numbers(seen) == [ticket["ticketNo"]]
    assert assigned["ticket"] == {"assignee": {"username": "sh.agent"}, "queue": {"code": "BJ-001"}}
    assert (await desk.move(ticket, "IN_PROGRESS", by="sh.agent"))["status"] == "IN_PROGRESS"


async def test_a_ticket_out_of_scope_cannot_be_worked(desk: Desk, clock: Clock):
    ticket = await desk.open(await desk.customer())
    before = await rows(desk)

    moved = await desk.moving(ticket, "IN_PROGRESS", by="sh.agent")
    commented = await comment(desk, ticket, "越权备注", internal=False, by="sh.agent")
    assigned = await assign(desk, ticket, "sh.agent", by="sh.manager")

    for payload in (moved, commented, assigned):
        assert refusal(payload) == [("TICKET_NOT_FOUND", ["input", "ticketId"])]
    assert await rows(desk) == before
    found = await desk.get(ticket)
    assert (found["status"], found["firstRespondedAt"], found["assignee"]) == ("OPEN", None, None)


async def test_a_missing_ticket_is_not_found(desk: Desk, clock: Clock):
    nothing = {"id": global_id("Ticket", 999_999)}
    not_a_ticket = {"id": desk.bank.user("bj.agent")}

    for ticket in (nothing, not_a_ticket):
        payload = await desk.moving(ticket, "IN_PROGRESS")
        assert refusal(payload) == [("TICKET_NOT_FOUND", ["input", "ticketId"])]
    admin = await desk.bank.sign_in("admin")
    assert (await admin.data(TICKET_NO, nothing))["ticket"] is None
    assert (await admin.data(TICKET_NO, not_a_ticket))["ticket"] is None


async def test_a_customer_lists_their_tickets_by_status(desk: Desk, clock: Clock):
    customer = await desk.customer()
    a, b, c = await three_tickets(desk, customer)
    await desk.open(await desk.customer())  # another customer's
    agent = await desk.bank.sign_in("bj.agent")

    everything = await agent.data(CUSTOMER_TICKETS, {"id": customer["id"]})
    open_or_resolved = await agent.data(
        CUSTOMER_TICKETS, {"id": customer["id"], "status": ["OPEN", "RESOLVED"]}
    )

    assert [t["ticketNo"] for t in everything["customer"]["tickets"]] == [c, b, a]
    assert [t["ticketNo"] for t in open_or_resolved["customer"]["tickets"]] == [c, a]


async def test_marketing_may_not_read_tickets(desk: Desk, clock: Clock):
    customer = await desk.customer()
    ticket = await desk.open(customer)
    marketing = await desk.bank.sign_in("marketing")

    listing = await marketing.execute(TICKETS, {})
    one = await marketing.execute(TICKET_NO, {"id": ticket["id"]})
    node = await marketing.data(NODE, {"id": ticket["id"]})
    theirs = await marketing.data(CUSTOMER_TICKETS, {"id": customer["id"]})

    assert error_codes(listing) == ["FORBIDDEN"]
    assert error_codes(one) == ["FORBIDDEN"]
    assert node["node"] is None
    assert theirs == {"customer": {"tickets": []}}
    # the control: the auditor reads them
    auditor = await desk.bank.sign_in("auditor")
    seen = await auditor.data(CUSTOMER_TICKETS, {"id": customer["id"]})
    assert seen == {"customer": {"tickets": [{"ticketNo": ticket["ticketNo"]}]}}
