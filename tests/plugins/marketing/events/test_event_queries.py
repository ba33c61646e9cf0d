"""Reading events: head office sees every event, a branch its own and head
office's; an event's invitations are listed only for customers in the
viewer's scope; a customer shows the events they were invited to. A page of
events with their invitations costs a fixed number of SQL statements,
whatever the page size."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.authorization import Principal, Role
from core.db import Mode
from plugins.customer.models import Customer
from plugins.marketing.events.attendance import record_attendance
from plugins.marketing.events.invitations import Guests, answer_invitation, invite_to_event
from plugins.marketing.events.models import EventKind
from plugins.marketing.events.planning import EventPlan, plan_event
from tests.plugins.customer.conftest import SH, Bank, global_id
from tests.plugins.marketing.events.conftest import BEIJING, Organizer

EVENTS = """
query($first: Int, $after: String, $status: [EventStatus!]) {
  events(first: $first, after: $after, status: $status) {
    totalCount
    edges { node { name status branch { code } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
EVENT = """
query($id: ID!) {
  event(id: $id) {
    name invitedCount
    invitations { edges { node { status customer { customerNo } event { name } } } }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Event { name } } }"
CUSTOMER = """
query($id: ID!) {
  customer(id: $id) { eventInvitations { status event { name kind } } }
}
"""
PAGE = """
query($first: Int) {
  events(first: $first) {
    edges { node {
      name capacity acceptedCount attendedCount invitedCount branch { code }
      invitations(first: 5) { edges { node {
        status customer { name } followUp { title assignee { username } }
      } } }
    } }
  }
}
"""


async def listed(bank: Bank, by: str, **variables: Any) -> list[str]:
    caller = await bank.sign_in(by)
    body = await caller.data(EVENTS, variables)
    return [edge["node"]["name"] for edge in body["events"]["edges"]]


async def test_head_office_sees_every_event_and_a_branch_its_own_and_head_office_s(
    organizer: Organizer, bank: Bank
):
    await organizer.plan(name="总行讲座", startsAt=organizer.in_days(3))
    await organizer.plan(by="bj.manager", name="北京沙龙", startsAt=organizer.in_days(1))
    await organizer.plan(by="sh.manager", name="上海沙龙", startsAt=organizer.in_days(2))

    assert await listed(bank, "admin") == ["北京沙龙", "上海沙龙", "总行讲座"]
    assert await listed(bank, "bj.rm") == ["北京沙龙", "总行讲座"]
    assert await listed(bank, "sh.teller") == ["上海沙龙", "总行讲座"]


async def test_events_are_paged_soonest_first_and_filtered_by_status(
    organizer: Organizer, bank: Bank
):
    for day in (5, 1, 3):
        await organizer.plan(name=f"第{day}天", startsAt=organizer.in_days(day))
    await organizer.cancelling(await organizer.plan(name="取消", startsAt=organizer.in_days(2)))
    caller = await bank.sign_in("auditor")

    first = (await caller.data(EVENTS, {"first": 2, "status": ["PLANNED"]}))["events"]
    rest = (
        await caller.data(
            EVENTS, {"first": 2, "after": first["pageInfo"]["endCursor"], "status": ["PLANNED"]}
        )
    )["events"]

    assert first["totalCount"] == 3
    assert [e["node"]["name"] for e in first["edges"] + rest["edges"]] == [
        "第1天",
        "第3天",
        "第5天",
    ]
    assert first["pageInfo"]["hasNextPage"] is True
    assert rest["pageInfo"]["hasNextPage"] is False
    assert await listed(bank, "admin", status=["CANCELLED"]) == ["取消"]


async def test_another_branch_s_event_looks_missing(organizer: Organizer, bank: Bank):
    event = await organizer.plan(by="sh.manager")
    caller = await bank.sign_in("bj.manager")

    assert (await caller.data(EVENT, {"id": event["id"]}))["event"] is None
    assert (await caller.data(NODE, {"id": event["id"]}))["node"] is None
    assert (await caller.data(EVENT, {"id": global_id("Event", 999)}))["event"] is None
    sh = await bank.sign_in("sh.teller")
    assert (await sh.data(NODE, {"id": event["id"]}))["node"] == {
        "__typename": "Event",
        "name": event["name"],
    }


async def test_invitations_are_listed_only_for_customers_in_the_viewer_s_scope(
    organizer: Organizer, bank: Bank
):
    mine, colleague_s, shanghai = (
        await bank.register(),
        await bank.register(),
        await bank.register(branchCode=SH),
    )
    await bank.assign(mine, "bj.rm")
    event = await organizer.plan(name="总行讲座")
    await organizer.invite(event, mine, colleague_s, shanghai)

    async def seen(by: str) -> set[str]:
        caller = await bank.sign_in(by)
        shown = (await caller.data(EVENT, {"id": event["id"]}))["event"]
        assert shown["invitedCount"] == 3
        return {edge["node"]["customer"]["customerNo"] for edge in shown["invitations"]["edges"]}

    assert await seen("admin") == {c["customerNo"] for c in (mine, colleague_s, shanghai)}
    assert await seen("bj.teller") == {mine["customerNo"], colleague_s["customerNo"]}
    assert await seen("bj.rm") == {mine["customerNo"]}
    assert await seen("sh.manager") == {shanghai["customerNo"]}


async def test_a_customer_shows_the_events_they_were_invited_to(organizer: Organizer, bank: Bank):
    customer = await bank.register()
    seminar = await organizer.plan(name="讲座", startsAt=organizer.in_days(1))
    salon = await organizer.plan(by="bj.manager", name="沙龙", kind="VIP_SALON")
    await organizer.invite(seminar, customer)
    await organizer.invite(salon, customer)
    await organizer.answer(salon, customer, True)
    caller = await bank.sign_in("bj.teller")

    body = await caller.data(CUSTOMER, {"id": customer["id"]})

    assert body["customer"]["eventInvitations"] == [
        {"status": "ACCEPTED", "event": {"name": "沙龙", "kind": "VIP_SALON"}},
        {"status": "INVITED", "event": {"name": "讲座", "kind": "WEALTH_SEMINAR"}},
    ]


# ------------------------------------------------------------------ query cost


def principal(bank: Bank, username: str, role: Role, branch: str | None) -> Principal:
    return Principal(
        user_id=bank.user_ids[username],
        username=username,
        roles=frozenset({role}),
        branch_id=bank.branch_ids[branch] if branch else None,
        permissions=frozenset(),
    )


async def bank_with(bank: Bank, organizer: Organizer, events: int) -> None:
    """``events`` Beijing salons, held yesterday: six customers (bj.rm's) were
    invited to each, four accepted and three came (each with a follow-up)."""
    customers = [await bank.register() for _ in range(6)]
    for customer in customers:
        await bank.assign(customer, "bj.rm")
    manager = principal(bank, "bj.manager", Role.BRANCH_MANAGER, "BJ-001")
    teller = principal(bank, "bj.teller", Role.TELLER, "BJ-001")
    clock, runtime = organizer.clock, bank.runtime
    async with runtime.database.transaction(Mode.WRITE) as session:
        rows = list(
            await session.scalars(select(Customer).order_by(Customer.id))  # the six
        )
        held = []
        for number in range(events):
            plan = EventPlan(
                name=f"沙龙 {number}",
                kind=EventKind.VIP_SALON,
                starts_at=clock.now + timedelta(hours=1 + number),
                venue="北京分行贵宾厅",
                capacity=10,
            )
            event = await plan_event(session, manager, plan, BEIJING)
            ids = [row.id for row in rows]
            await invite_to_event(
                session, runtime.plugins, manager, event.id, Guests(customer_ids=ids), zone=BEIJING
            )
            for row in rows[:4]:
                await answer_invitation(session, teller, event.id, row, True)
            held.append(event.id)
        clock.move(timedelta(days=events))
        for event_id in held:
            await record_attendance(session, manager, event_id, ids[:3], BEIJING)  # type: ignore[arg-type]


async def test_a_page_of_events_with_their_invitations_costs_the_same_for_3_as_for_30(
    bank: Bank, organizer: Organizer, sql
):
    await bank_with(bank, organizer, 30)

    few, few_edges = await bank.page_cost(sql, PAGE, 3, of="events")
    many, many_edges = await bank.page_cost(sql, PAGE, 30, of="events")

    assert few == many
    # the signed-in user and their roles, the page of events (no count: not asked
    # for), the invitation counts, the branches, the invitation pages, their
    # customers, their follow-ups and the follow-ups' assignees
    assert many == 8, sql.statements
    assert len(few_edges) == 3
    assert len(many_edges) == 30
    for edge in many_edges:
        node = edge["node"]
        assert (node["acceptedCount"], node["attendedCount"], node["invitedCount"]) == (0, 3, 6)
        assert node["branch"] == {"code": "BJ-001"}
        invitations = [i["node"] for i in node["invitations"]["edges"]]
        assert [i["status"] for i in invitations] == ["ATTENDED"] * 3 + ["NO_SHOW", "INVITED"]
        assert [i["followUp"] for i in invitations[:3]] == [
            {"title": f"活动回访: {node['name']}", "assignee": {"username": "bj.rm"}}
        ] * 3
        assert [i["followUp"] for i in invitations[3:]] == [None, None]
