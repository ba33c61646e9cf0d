"""``Customer.timeline``: every plugin's events on one customer, newest first,
paged without repeats or gaps, at a cost that does not grow with the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import update

from core.authorization import Role
from core.db import Mode
from core.hookspecs import hookimpl
from plugins.customer.models import (
    ContactChannel,
    ContactDirection,
    Customer,
    CustomerKind,
    CustomerTier,
    FollowUp,
    Interaction,
    ManagerAssignment,
    TierChange,
)
from plugins.customer.numbers import format_customer_no
from plugins.customer.timeline import TimelineEvent, TimelineQuery, customer_timelines
from tests.plugins.customer.conftest import BJ, Bank, error_codes

BASE = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
TIMELINE = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    timeline(first: $first, after: $after) {
      edges { cursor node { occurredAt kind title source } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


def day(n: float) -> datetime:
    return BASE + timedelta(days=n)


async def timeline(bank: Bank, customer: dict[str, Any], by: str = "admin", **args: Any) -> Any:
    caller = await bank.sign_in(by)
    body = await caller.data(TIMELINE, {"id": customer["id"], **args})
    return body["customer"]["timeline"]


def lines(connection: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (edge["node"]["kind"], edge["node"]["title"], edge["node"]["occurredAt"])
        for edge in connection["edges"]
    ]


async def whole_timeline(bank: Bank, customer: dict[str, Any], first: int) -> list[Any]:
    """Every event, read ``first`` at a time from the start."""
    seen: list[Any] = []
    after = None
    while True:
        connection = await timeline(bank, customer, first=first, after=after)
        assert len(connection["edges"]) <= first
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        seen += [
            (edge["node"]["source"], *line)
            for edge, line in zip(connection["edges"], lines(connection), strict=True)
        ]
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]


async def set_times(bank: Bank, customer: dict[str, Any], registered: datetime) -> int:
    """Move the customer's registration to ``registered``, and their manager
    assignments to a minute later."""
    customer_id = await bank.customer_id(customer)
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(
            update(Customer).where(Customer.id == customer_id).values(created_at=registered)
        )
        await session.execute(
            update(ManagerAssignment)
            .where(ManagerAssignment.customer_id == customer_id)  # type: ignore[arg-type]
            .values(assigned_at=registered + timedelta(minutes=1))
        )
    return customer_id


async def add_rows(bank: Bank, *rows: Any) -> None:
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        session.add_all(rows)


def contact(customer_id: int, staff_id: int, at: datetime, **changes: Any) -> Interaction:
    values = {
        "customer_id": customer_id,
        "channel": ContactChannel.CALL,
        "direction": ContactDirection.OUTBOUND,
        "summary": "Called about the wealth review.",
        "staff_id": staff_id,
        "occurred_at": at,
    } | changes
    return Interaction(**values)


def tier_change(customer_id: int, at: datetime, up: bool = True) -> TierChange:
    low, high = CustomerTier.MASS, CustomerTier.AFFLUENT
    return TierChange(
        customer_id=customer_id,
        from_tier=low if up else high,
        to_tier=high if up else low,
        assets=Decimal("60000.00"),
        changed_at=at,
        business_date=at.date(),
    )


# ---------------------------------------------------------------- the customer's own events


async def test_registration_managers_tiers_and_contacts_merge_newest_first(bank):
    await bank.add_staff("王芳", Role.RELATIONSHIP_MANAGER, branch=BJ)
    customer = await bank.register()
    await bank.assign(customer, "bj.rm")
    customer_id = await set_times(bank, customer, day(0))
    await bank.assign(customer, "王芳")
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(
            update(ManagerAssignment)
            .where(ManagerAssignment.assigned_at > day(1))
            .values(assigned_at=day(5))
        )
    rm, agent = bank.user_ids["bj.rm"], bank.user_ids["bj.agent"]
    await add_rows(
        bank,
        tier_change(customer_id, day(2)),
        contact(customer_id, rm, day(3)),
        contact(
            customer_id,
            agent,
            day(4),
            channel=ContactChannel.WECHAT,
            direction=ContactDirection.INBOUND,
        ),
        tier_change(customer_id, day(6), up=False),
    )

    connection = await timeline(bank, customer, by="bj.teller")

    assert lines(connection) == [
        ("customer.tier_changed", "Tier lowered from AFFLUENT to MASS", day(6).isoformat()),
        ("customer.manager_assigned", "Relationship manager changed to 王芳", day(5).isoformat()),
        ("customer.interaction", "Inbound WeChat message to bj.agent", day(4).isoformat()),
        ("customer.interaction", "Outbound call by bj.rm", day(3).isoformat()),
        ("customer.tier_changed", "Tier raised from MASS to AFFLUENT", day(2).isoformat()),
        (
            "customer.manager_assigned",
            "Relationship manager bj.rm assigned",
            (day(0) + timedelta(minutes=1)).isoformat(),
        ),
        (
            "customer.registered",
            f"Registered as customer {customer['customerNo']}",
            day(0).isoformat(),
        ),
    ]
    assert {edge["node"]["source"] for edge in connection["edges"]} == {"customer"}
    assert connection["pageInfo"]["hasNextPage"] is False


async def test_titles_never_show_the_identity_number_or_the_phone(bank):
    customer = await bank.register(by="bj.rm")
    caller = await bank.sign_in("admin")
    full = (
        await caller.data(
            "query($id: ID!) { customer(id: $id) { idNumber phone } }", {"id": customer["id"]}
        )
    )["customer"]
    customer_id = await bank.customer_id(customer)
    await add_rows(
        bank, contact(customer_id, bank.user_ids["bj.rm"], day(1), summary=full["phone"])
    )

    connection = await timeline(bank, customer)

    assert len(connection["edges"]) == 3
    for edge in connection["edges"]:
        assert full["idNumber"] not in edge["node"]["title"]
        assert full["phone"] not in edge["node"]["title"]


async def test_a_new_customer_has_registration_on_the_timeline(bank):
    customer = await bank.register()

    connection = await timeline(bank, customer)

    assert [edge["node"]["kind"] for edge in connection["edges"]] == ["customer.registered"]
    assert connection["pageInfo"]["startCursor"] == connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize("first", [1, 2, 3, 7])
async def test_pages_have_no_repeats_or_gaps_even_among_events_at_one_moment(bank, first):
    customer = await bank.register()
    await bank.assign(customer, "bj.rm")
    customer_id = await set_times(bank, customer, day(1))
    rm = bank.user_ids["bj.rm"]
    await add_rows(
        bank,
        *(contact(customer_id, rm, day(1)) for _ in range(4)),
        tier_change(customer_id, day(1)),
        contact(customer_id, rm, day(2)),
        contact(customer_id, rm, day(0)),
        tier_change(customer_id, day(0), up=False),
    )
    everything = lines(await timeline(bank, customer, first=100))

    paged = await whole_timeline(bank, customer, first)

    assert len(everything) == 10
    assert [line[1:] for line in paged] == everything
    assert [moment for *_, moment in everything] == sorted(
        (moment for *_, moment in everything), reverse=True
    )


async def test_first_is_bounded_and_cursors_are_checked(bank):
    customer = await bank.register()
    caller = await bank.sign_in("admin")

    async def codes(**args: Any) -> list[str]:
        return error_codes(await caller.execute(TIMELINE, {"id": customer["id"], **args}))

    assert await codes(first=101) == ["INVALID_PAGE_SIZE"]
    assert await codes(first=-1) == ["INVALID_PAGE_SIZE"]
    assert await codes(after="not a cursor") == ["INVALID_CURSOR"]
    assert await codes(first=0) == []


async def test_ten_events_by_default(bank):
    customer = await bank.register()
    customer_id = await bank.customer_id(customer)
    rm = bank.user_ids["bj.rm"]
    await add_rows(bank, *(contact(customer_id, rm, day(n)) for n in range(12)))

    connection = await timeline(bank, customer)

    assert len(connection["edges"]) == 10
    assert connection["pageInfo"]["hasNextPage"] is True


# ---------------------------------------------------------------- other plugins' events


class LoyaltyTimeline:
    """A plugin that puts its own events on the customer timeline, as a bank's
    own module would, answering from a list instead of a table."""

    def __init__(self, events: list[TimelineEvent]) -> None:
        self.events = events
        self.queries: list[TimelineQuery] = []

    @hookimpl
    def crm_customer_timeline(self, session: Any, query: TimelineQuery) -> Any:
        self.queries.append(query)

        async def answer() -> dict[int, list[TimelineEvent]]:
            return {
                customer_id: sorted(
                    (
                        event
                        for event in self.events
                        if event.customer_id == customer_id
                        and (query.before is None or event.position < query.before)
                    ),
                    key=lambda event: event.position,
                    reverse=True,
                )[: query.limit]
                for customer_id in query.customer_ids
            }

        return answer()


@contextmanager
def plugged_in(bank: Bank, plugin: object) -> Iterator[None]:
    manager = bank.runtime.plugins.manager
    manager.register(plugin, name="loyalty-test")
    try:
        yield
    finally:
        manager.unregister(plugin)


def points(customer_id: int, n: int, at: datetime) -> TimelineEvent:
    return TimelineEvent(
        customer_id=customer_id,
        occurred_at=at,
        kind="loyalty.points_earned",
        title=f"Earned {n} points",
        source="loyalty",
        key=f"points:{n:04d}",
    )


async def test_another_plugins_events_are_merged_into_the_timeline(bank):
    customer = await bank.register()
    customer_id = await set_times(bank, customer, day(0))
    rm = bank.user_ids["bj.rm"]
    await add_rows(bank, contact(customer_id, rm, day(2)), contact(customer_id, rm, day(4)))
    other = await bank.register()
    other_id = await bank.customer_id(other)
    loyalty = LoyaltyTimeline(
        [
            points(customer_id, 100, day(1)),
            points(customer_id, 300, day(3)),
            points(customer_id, 200, day(2)),  # the same moment as a contact
            points(other_id, 999, day(3)),
        ]
    )

    with plugged_in(bank, loyalty):
        connection = await timeline(bank, customer)
        paged = await whole_timeline(bank, customer, first=2)

    assert [(edge["node"]["source"], edge["node"]["title"]) for edge in connection["edges"]] == [
        ("customer", "Outbound call by bj.rm"),
        ("loyalty", "Earned 300 points"),
        ("loyalty", "Earned 200 points"),  # "loyalty" after "customer": newer at a tie
        ("customer", "Outbound call by bj.rm"),
        ("loyalty", "Earned 100 points"),
        ("customer", f"Registered as customer {customer['customerNo']}"),
    ]
    assert [(source, title) for source, _, title, _ in paged] == [
        (edge["node"]["source"], edge["node"]["title"]) for edge in connection["edges"]
    ]
    assert loyalty.queries[0] == TimelineQuery(customer_ids=(customer_id,), before=None, limit=11)


async def test_the_timeline_is_the_customer_plugins_alone_once_the_other_is_gone(bank):
    customer = await bank.register()
    customer_id = await bank.customer_id(customer)

    with plugged_in(bank, LoyaltyTimeline([points(customer_id, 1, day(1))])):
        assert len((await timeline(bank, customer))["edges"]) == 2

    assert len((await timeline(bank, customer))["edges"]) == 1


class FakePlugins:
    """Just enough of a plugin registry for ``customer_timelines``: its hook."""

    def __init__(self, *answers: dict[int, list[TimelineEvent]]) -> None:
        async def answer(found: dict[int, list[TimelineEvent]]) -> Any:
            return found

        self.hook = SimpleNamespace(
            crm_customer_timeline=lambda session, query: [answer(a) for a in answers]
        )


async def test_merging_keeps_the_newest_per_customer_and_drops_what_was_not_asked_for():
    a, b = (
        points(1, 1, day(1)),
        points(1, 2, day(3)),
    )
    c = TimelineEvent(1, day(2), "x.y", "X", "another", "k:1")
    same_moment = TimelineEvent(1, day(3), "x.y", "X", "another", "k:2")
    plugins = FakePlugins({1: [b, a], 7: [points(7, 5, day(1))]}, {1: [c, same_moment]})

    pages = await customer_timelines(
        plugins,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        TimelineQuery(customer_ids=(1, 2), before=None, limit=3),
    )
    later = await customer_timelines(
        plugins,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        TimelineQuery(customer_ids=(1,), before=c.position, limit=3),
    )

    assert pages == {1: [b, same_moment, c], 2: []}
    assert later == {1: [a]}  # what a sloppy plugin sends from before ``before`` is dropped


# ---------------------------------------------------------------- a page of customers


PAGE_OF_CUSTOMERS = """
query($first: Int) {
  customers(first: $first) {
    edges { node {
      customerNo tier branch { code } relationshipManager { username }
      timeline(first: 5) { edges { node { kind title occurredAt } } }
    } }
  }
}
"""
PAGE_OF_CONTACTS = """
query($first: Int) {
  customers(first: $first) {
    edges { node {
      customerNo
      interactions(first: 2) { edges { node { summary staff { username } } } }
      followUps(status: [OPEN]) { title assignee { username } }
    } }
  }
}
"""


async def add_customers(bank: Bank, count: int) -> None:
    """``count`` customers of bj.rm, straight into the tables, each with a registration,
    a manager assignment, a tier change, three contacts and a follow-up."""
    rm = bank.user_ids["bj.rm"]
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        for n in range(count):
            customer = Customer(
                customer_no=format_customer_no(n + 1),
                kind=CustomerKind.INDIVIDUAL,
                name=f"客户{n}",
                id_number=f"T{n:017d}",
                branch_id=bank.branch_ids[BJ],
                relationship_manager_id=rm,
                tier=CustomerTier.AFFLUENT,
                created_at=day(0) + timedelta(minutes=n),
            )
            session.add(customer)
            await session.flush()
            assert customer.id is not None
            session.add_all(
                [
                    ManagerAssignment(
                        customer_id=customer.id, manager_id=rm, reason="Test.", assigned_at=day(1)
                    ),
                    tier_change(customer.id, day(2)),
                    *(contact(customer.id, rm, day(3 + k)) for k in range(3)),
                    FollowUp(
                        customer_id=customer.id,
                        assignee_id=rm,
                        title="Review",
                        due_on=day(9).date(),
                        created_by_id=rm,
                    ),
                ]
            )


async def test_a_page_of_customers_with_timelines_costs_the_same_for_10_as_for_100(bank, sql):
    await add_customers(bank, 100)

    ten, ten_edges = await bank.page_cost(sql, PAGE_OF_CUSTOMERS, 10)
    hundred, hundred_edges = await bank.page_cost(sql, PAGE_OF_CUSTOMERS, 100)

    assert ten == hundred
    assert len(ten_edges) == 10
    assert len(hundred_edges) == 100
    for edge in hundred_edges:
        node = edge["node"]
        assert node["relationshipManager"] == {"username": "bj.rm"}
        assert [e["node"]["kind"] for e in node["timeline"]["edges"]] == [
            "customer.interaction",
            "customer.interaction",
            "customer.interaction",
            "customer.tier_changed",
            "customer.manager_assigned",
        ]


async def test_a_page_of_customers_with_contacts_costs_the_same_for_10_as_for_100(bank, sql):
    await add_customers(bank, 100)

    ten, _ = await bank.page_cost(sql, PAGE_OF_CONTACTS, 10)
    hundred, edges = await bank.page_cost(sql, PAGE_OF_CONTACTS, 100)

    assert ten == hundred
    for edge in edges:
        assert len(edge["node"]["interactions"]["edges"]) == 2
        assert edge["node"]["followUps"] == [{"title": "Review", "assignee": {"username": "bj.rm"}}]
