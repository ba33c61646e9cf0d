"""What the service plugin adds to customers: their tickets, the tickets' lines
on their timeline, and the tickets following a merge to the surviving customer."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.plugins.service.conftest import Clock, Desk

TICKETS = """
query($id: ID!) {
  customer(id: $id) {
    every: tickets { ticketNo status }
    working: tickets(status: [OPEN, IN_PROGRESS]) { ticketNo status }
    sameFilter: tickets(status: [IN_PROGRESS, OPEN, OPEN]) { ticketNo }
    done: tickets(status: [CLOSED]) { ticketNo }
  }
}
"""
TIMELINE = """
query($id: ID!) {
  customer(id: $id) { timeline(first: 20) { edges { node { occurredAt kind title source } } } }
}
"""
PAGE = """
query($id: ID!, $after: String) {
  customer(id: $id) {
    timeline(first: 1, after: $after) {
      edges { cursor node { occurredAt kind title source } }
      pageInfo { hasNextPage }
    }
  }
}
"""
MERGE = """
mutation($input: MergeCustomersInput!) {
  mergeCustomers(input: $input) {
    customer { customerNo tickets { ticketNo customer { customerNo } } }
    errors { code }
  }
}
"""


def utc(*moment: int) -> datetime:
    return datetime(*moment, tzinfo=UTC)


async def tickets_of(desk: Desk, customer: dict[str, Any], by: str = "admin") -> dict[str, Any]:
    caller = await desk.bank.sign_in(by)
    return (await caller.data(TICKETS, {"id": customer["id"]}))["customer"]


async def test_a_customer_s_tickets_are_newest_first_and_filtered_by_status(
    desk: Desk, clock: Clock
):
    customer = await desk.customer()
    someone_else = await desk.customer()
    resolved = await desk.open(customer)
    await desk.move(resolved, "RESOLVED", "已答复。")
    working = await desk.open(customer, kind="AFTER_SALES")
    await desk.move(working, "IN_PROGRESS")
    waiting = await desk.open(customer, kind="REQUEST")
    await desk.move(waiting, "PENDING_CUSTOMER")
    new = await desk.open(customer, kind="COMPLAINT")
    await desk.open(someone_else)

    found = await tickets_of(desk, customer, by="bj.agent")

    assert found["every"] == [
        {"ticketNo": new["ticketNo"], "status": "OPEN"},
        {"ticketNo": waiting["ticketNo"], "status": "PENDING_CUSTOMER"},
        {"ticketNo": working["ticketNo"], "status": "IN_PROGRESS"},
        {"ticketNo": resolved["ticketNo"], "status": "RESOLVED"},
    ]
    assert found["working"] == [
        {"ticketNo": new["ticketNo"], "status": "OPEN"},
        {"ticketNo": working["ticketNo"], "status": "IN_PROGRESS"},
    ]
    assert found["sameFilter"] == [{"ticketNo": t["ticketNo"]} for t in (new, working)]
    assert found["done"] == []


async def test_staff_who_may_not_read_tickets_see_none(desk: Desk, clock: Clock):
    customer = await desk.customer()
    await desk.open(customer)

    found = await tickets_of(desk, customer, by="marketing")

    assert found["every"] == []


async def test_opening_resolving_and_closing_tickets_show_on_the_customer_s_timeline(
    desk: Desk, clock: Clock
):
    customer = await desk.customer()
    clock.set(utc(2026, 3, 2, 2, 0))  # 10:00 in Beijing
    consultation = await desk.open(customer)
    clock.set(utc(2026, 3, 2, 2, 30))
    complaint = await desk.open(customer, kind="COMPLAINT")
    clock.set(utc(2026, 3, 2, 3, 0))
    await desk.move(consultation, "RESOLVED", "已告知利率。")
    clock.set(utc(2026, 3, 2, 4, 0))
    await desk.move(consultation, "CLOSED")
    clock.set(utc(2026, 3, 2, 5, 0))
    await desk.move(complaint, "IN_PROGRESS")  # not an event of the timeline
    admin = await desk.bank.sign_in("admin")

    body = await admin.data(TIMELINE, {"id": customer["id"]})

    lines = [
        (edge["node"]["occurredAt"], edge["node"]["kind"], edge["node"]["title"])
        for edge in body["customer"]["timeline"]["edges"]
        if edge["node"]["source"] == "service"
    ]
    c, k = consultation["ticketNo"], complaint["ticketNo"]
    assert lines == [
        ("2026-03-02T04:00:00+00:00", "service.ticket_closed", f"Consultation {c} closed"),
        ("2026-03-02T03:00:00+00:00", "service.ticket_resolved", f"Consultation {c} resolved"),
        ("2026-03-02T02:30:00+00:00", "service.ticket_opened", f"Complaint {k} opened"),
        ("2026-03-02T02:00:00+00:00", "service.ticket_opened", f"Consultation {c} opened"),
    ]


async def test_a_merge_moves_the_duplicate_s_tickets_to_the_survivor(desk: Desk, clock: Clock):
    survivor = await desk.customer(name="王小明")
    duplicate = await desk.customer(name="王晓明")
    kept = await desk.open(survivor)
    moved = await desk.open(duplicate, kind="COMPLAINT")
    also_moved = await desk.open(duplicate)
    await desk.move(also_moved, "RESOLVED", "已答复。")
    admin = await desk.bank.sign_in("admin")

    body = await admin.data(
        MERGE, {"input": {"survivorId": survivor["id"], "duplicateId": duplicate["id"]}}
    )

    merged = body["mergeCustomers"]
    assert merged["errors"] == []
    assert merged["customer"]["tickets"] == [
        {"ticketNo": t["ticketNo"], "customer": {"customerNo": survivor["customerNo"]}}
        for t in (also_moved, moved, kept)
    ]
    assert (await tickets_of(desk, duplicate))["every"] == []
    assert (await desk.get(moved))["customer"] == {"customerNo": survivor["customerNo"]}


async def test_paging_the_timeline_one_event_at_a_time_misses_and_repeats_nothing(
    desk: Desk, clock: Clock
):
    """Two tickets opened, and one resolved and closed, all at the same moment:
    the page boundaries fall between events of equal time."""
    customer = await desk.customer()
    first = await desk.open(customer)
    await desk.open(customer)
    await desk.move(first, "RESOLVED", "已答复。")
    await desk.move(first, "CLOSED")
    admin = await desk.bank.sign_in("admin")
    whole = await admin.data(TIMELINE, {"id": customer["id"]})

    paged, after = [], None
    for _ in range(10):
        body = await admin.data(PAGE, {"id": customer["id"], "after": after})
        timeline = body["customer"]["timeline"]
        paged += [edge["node"] for edge in timeline["edges"]]
        if not timeline["pageInfo"]["hasNextPage"]:
            break
        after = timeline["edges"][-1]["cursor"]

    events = [edge["node"] for edge in whole["customer"]["timeline"]["edges"]]
    assert sorted(e["kind"] for e in events if e["source"] == "service") == [
        "service.ticket_closed",
        "service.ticket_opened",
        "service.ticket_opened",
        "service.ticket_resolved",
    ]
    assert paged == events
