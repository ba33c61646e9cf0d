"""``recordInteraction`` and ``Customer.interactions``: contacts with a customer
(沟通记录), who may record them, what is checked, and how they are read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.columns import utcnow
from plugins.customer.models import Interaction
from tests.plugins.customer.conftest import (
    SH,
    Bank,
    codes_and_fields,
    error_codes,
    global_id,
)

RECORD = """
mutation($input: RecordInteractionInput!) {
  recordInteraction(input: $input) {
    interaction {
      id channel direction summary occurredAt
      staff { username } customer { customerNo }
    }
    errors { field message code }
  }
}
"""
INTERACTIONS = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    interactions(first: $first, after: $after) {
      edges { cursor node { summary occurredAt } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""
NODE = "query($id: ID!) { node(id: $id) { __typename ... on Interaction { summary } } }"


def contact(customer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A valid RecordInteractionInput: an outbound call an hour ago."""
    an_hour_ago = (utcnow() - timedelta(hours=1)).isoformat()
    return {
        "customerId": customer["id"],
        "channel": "CALL",
        "direction": "OUTBOUND",
        "summary": "Discussed renewing the time deposit.",
        "occurredAt": an_hour_ago,
    } | changes


async def record(bank: Bank, by: str, input: dict[str, Any]) -> dict[str, Any]:
    caller = await bank.sign_in(by)
    return (await caller.data(RECORD, {"input": input}))["recordInteraction"]


@pytest.fixture
async def customer(bank: Bank) -> dict[str, Any]:
    """A customer of BJ-001 managed by ``bj.rm``."""
    customer = await bank.register()
    await bank.assign(customer, "bj.rm")
    return customer


async def test_a_relationship_manager_records_a_call_as_themselves(bank, customer):
    when = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)

    payload = await record(
        bank,
        "bj.rm",
        contact(customer, summary="  Wants a mortgage quote. ", occurredAt=when.isoformat()),
    )

    assert payload["errors"] == []
    interaction = payload["interaction"]
    assert interaction["channel"] == "CALL"
    assert interaction["direction"] == "OUTBOUND"
    assert interaction["summary"] == "Wants a mortgage quote."
    assert datetime.fromisoformat(interaction["occurredAt"]) == when
    assert interaction["staff"] == {"username": "bj.rm"}
    assert interaction["customer"] == {"customerNo": customer["customerNo"]}


@pytest.mark.parametrize("channel", ["CALL", "VISIT", "MEETING", "EMAIL", "SMS", "WECHAT"])
@pytest.mark.parametrize("direction", ["INBOUND", "OUTBOUND"])
async def test_every_channel_and_direction_is_recorded(bank, customer, channel, direction):
    payload = await record(
        bank, "bj.agent", contact(customer, channel=channel, direction=direction)
    )

    assert payload["errors"] == []
    assert (payload["interaction"]["channel"], payload["interaction"]["direction"]) == (
        channel,
        direction,
    )


async def test_a_contact_without_a_time_happened_now(bank, customer):
    before = utcnow()

    payload = await record(bank, "bj.rm", contact(customer, occurredAt=None))

    occurred_at = datetime.fromisoformat(payload["interaction"]["occurredAt"])
    assert before - timedelta(seconds=1) <= occurred_at <= utcnow()


async def test_a_time_without_a_zone_is_the_banks(bank, customer):
    payload = await record(bank, "bj.rm", contact(customer, occurredAt="2026-03-02T09:30:00"))

    occurred_at = datetime.fromisoformat(payload["interaction"]["occurredAt"])
    assert occurred_at == datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


async def test_a_clock_a_minute_fast_is_forgiven(bank, customer):
    in_a_minute = (utcnow() + timedelta(minutes=1)).isoformat()

    payload = await record(bank, "bj.rm", contact(customer, occurredAt=in_a_minute))

    assert payload["errors"] == []


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"summary": ""}, "REQUIRED", "summary"),
        ({"summary": "   "}, "REQUIRED", "summary"),
        ({"summary": "x" * 2001}, "TOO_LONG", "summary"),
        ({"summary": "Called\x07back"}, "INVALID_CHARACTERS", "summary"),
        (
            {"occurredAt": (utcnow() + timedelta(days=1)).isoformat()},
            "OCCURRED_IN_FUTURE",
            "occurredAt",
        ),
    ],
    ids=["empty", "blank", "too-long", "control-character", "future"],
)
async def test_a_bad_contact_is_refused_and_nothing_is_written(
    bank, customer, changes, code, field
):
    payload = await record(bank, "bj.rm", contact(customer, **changes))

    assert payload["interaction"] is None
    assert codes_and_fields(payload) == [(code, ["input", field])]
    assert await bank.count(Interaction) == 0


async def test_a_summary_of_2000_characters_is_kept_whole(bank, customer):
    payload = await record(bank, "bj.rm", contact(customer, summary="长" * 2000))

    assert payload["interaction"]["summary"] == "长" * 2000


async def test_a_customer_out_of_scope_looks_missing_and_nothing_is_written(bank, customer):
    shanghai = await bank.register(branchCode=SH)
    others = await bank.register()  # of BJ-001, but not in bj.rm's portfolio

    refusals = [
        await record(bank, "bj.agent", contact(shanghai)),
        await record(bank, "bj.rm", contact(others)),
        await record(bank, "bj.rm", contact(customer, customerId=global_id("User", 1))),
    ]

    for payload in refusals:
        assert codes_and_fields(payload) == [("NOT_FOUND", ["input", "customerId"])]
    assert await bank.count(Interaction) == 0


@pytest.mark.parametrize("role", ["bj.teller", "marketing", "auditor"])
async def test_staff_without_customer_contact_may_not_record(bank, customer, role):
    caller = await bank.sign_in(role)

    body = await caller.execute(RECORD, {"input": contact(customer)})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(Interaction) == 0


async def test_a_customers_contacts_page_newest_first_without_repeats_or_gaps(bank, customer):
    base = datetime(2026, 1, 1, tzinfo=UTC)
    # Two at the very same moment, to be told apart by id.
    moments = [base + timedelta(days=d) for d in (3, 1, 4, 1, 5, 9, 2, 6)]
    for n, moment in enumerate(moments):
        payload = await record(
            bank, "bj.rm", contact(customer, summary=f"contact {n}", occurredAt=moment.isoformat())
        )
        assert payload["errors"] == []
    reader = await bank.sign_in("bj.teller")

    seen: list[str] = []
    after = None
    pages = 0
    while True:
        body = await reader.data(INTERACTIONS, {"id": customer["id"], "first": 3, "after": after})
        connection = body["customer"]["interactions"]
        seen += [edge["node"]["summary"] for edge in connection["edges"]]
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    # Newest first; of the two at one moment, the later recorded first.
    assert seen == [f"contact {n}" for n in (5, 7, 4, 2, 0, 6, 3, 1)]
    assert pages == 3


async def test_a_cursor_this_api_did_not_give_out_is_refused(bank, customer):
    caller = await bank.sign_in("bj.rm")

    body = await caller.execute(INTERACTIONS, {"id": customer["id"], "after": "not a cursor"})

    assert error_codes(body) == ["INVALID_CURSOR"]


async def test_an_interaction_is_a_node_within_scope_only(bank, customer):
    interaction = (await record(bank, "bj.rm", contact(customer)))["interaction"]

    seen_by = {
        username: (await (await bank.sign_in(username)).data(NODE, {"id": interaction["id"]}))[
            "node"
        ]
        for username in ("bj.rm", "bj.teller", "sh.manager", "auditor")
    }

    assert seen_by["bj.rm"] == {"__typename": "Interaction", "summary": interaction["summary"]}
    assert seen_by["bj.teller"] == seen_by["bj.rm"]
    assert seen_by["auditor"] == seen_by["bj.rm"]
    assert seen_by["sh.manager"] is None
