"""Invitations when two customers are merged: the duplicate's become the
survivor's; where both were invited to one event, the one that came further
stays."""

from __future__ import annotations

from typing import Any

from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.events.conftest import Organizer

MERGE = """
mutation($input: MergeCustomersInput!) {
  mergeCustomers(input: $input) {
    customer { eventInvitations { status event { name } } }
    errors { code }
  }
}
"""


async def merge(bank: Bank, survivor: dict[str, Any], duplicate: dict[str, Any]):
    caller = await bank.sign_in("admin")
    body = await caller.data(
        MERGE, {"input": {"survivorId": survivor["id"], "duplicateId": duplicate["id"]}}
    )
    payload = body["mergeCustomers"]
    assert payload["errors"] == [], payload["errors"]
    return payload["customer"]["eventInvitations"]


async def test_the_duplicate_s_invitations_move_and_the_further_answer_stays(
    bank: Bank, organizer: Organizer
):
    survivor, duplicate = await bank.register(), await bank.register()
    both = await organizer.plan(name="两人都受邀", startsAt=organizer.in_days(1))
    only_duplicate = await organizer.plan(name="仅重复客户受邀", startsAt=organizer.in_days(2))
    await organizer.invite(both, survivor, duplicate)
    await organizer.invite(only_duplicate, duplicate)
    await organizer.answer(both, duplicate, True)

    invitations = await merge(bank, survivor, duplicate)

    assert sorted((i["event"]["name"], i["status"]) for i in invitations) == [
        ("两人都受邀", "ACCEPTED"),
        ("仅重复客户受邀", "INVITED"),
    ]
    assert (await organizer.read(both))["acceptedCount"] == 1  # type: ignore[index]
    assert len(await organizer.guests(both)) == 1
