"""What marketing adds to customers: their campaigns, newest first, and what
becomes of their memberships and opt-outs when two customers are merged."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from core.db import Mode
from plugins.marketing.models import Membership, OptOut, Response
from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.test_campaigns import (
    launched,
    targeted_days_ago,
    withdraw,
)
from tests.plugins.marketing.test_responses import moved, responses

MARKETING = """
  campaigns {
    status targetedAt convertedAmount { amount }
    campaign { id name status memberCount }
  }
  marketingOptOuts
"""
CUSTOMER = f"query($id: ID!) {{ customer(id: $id) {{ {MARKETING} }} }}"
MERGE = f"""
mutation($input: MergeCustomersInput!) {{
  mergeCustomers(input: $input) {{ customer {{ id {MARKETING} }} errors {{ code }} }}
}}
"""


async def marketing_of(bank: Bank, customer: dict[str, Any], by: str = "admin") -> dict[str, Any]:
    caller = await bank.sign_in(by)
    return (await caller.data(CUSTOMER, {"id": customer["id"]}))["customer"]


async def merge(bank: Bank, survivor: dict[str, Any], duplicate: dict[str, Any]) -> dict[str, Any]:
    caller = await bank.sign_in("admin")
    body = await caller.data(
        MERGE, {"input": {"survivorId": survivor["id"], "duplicateId": duplicate["id"]}}
    )
    payload = body["mergeCustomers"]
    assert payload["errors"] == [], payload["errors"]
    return payload["customer"]


def summary(marketing: dict[str, Any]) -> list[tuple[str, str]]:
    """(campaign name, membership status) of each of a customer's campaigns, in order."""
    return [(m["campaign"]["name"], m["status"]) for m in marketing["campaigns"]]


async def rows_of(bank: Bank, customer: dict[str, Any], model: type) -> int:
    """How many rows of ``model`` (a Membership or an OptOut) the customer has."""
    customer_id = await bank.customer_id(customer)
    async with bank.runtime.database.transaction(Mode.READ) as session:
        return await session.scalar(
            select(func.count()).select_from(model).where(model.customer_id == customer_id)
        )


async def test_a_customer_s_campaigns_come_newest_first_with_their_status(bank):
    customer, other = await bank.register(), await bank.register()
    january = await launched(bank, customer, other, name="一月存款节")
    await targeted_days_ago(bank, january, customer, 30)  # out of the frequency cap
    february = await launched(bank, customer, name="二月理财季", channel="PHONE")
    await launched(bank, await bank.register(), name="三月")  # not the customer's
    await moved(bank, february, customer, "CONTACTED")
    await moved(bank, january, customer, "CONVERTED", amount="8888")

    marketing = await marketing_of(bank, customer)

    assert summary(marketing) == [("二月理财季", "CONTACTED"), ("一月存款节", "CONVERTED")]
    newest, oldest = marketing["campaigns"]
    assert newest["campaign"] == {
        "id": february["id"],
        "name": "二月理财季",
        "status": "RUNNING",
        "memberCount": 1,
    }
    assert oldest["campaign"]["memberCount"] == 2
    assert newest["targetedAt"] > oldest["targetedAt"]
    assert (newest["convertedAmount"], oldest["convertedAmount"]) == (None, {"amount": "8888.00"})


async def test_campaigns_are_hidden_from_staff_who_may_not_read_marketing(bank):
    customer = await bank.register()
    await launched(bank, customer)

    assert len((await marketing_of(bank, customer, by="bj.teller"))["campaigns"]) == 1
    assert (await marketing_of(bank, customer, by="bj.agent"))["campaigns"] == []


async def test_a_merge_moves_the_duplicate_s_memberships_and_opt_outs_to_the_survivor(bank):
    survivor, duplicate = await bank.register(name="王小明"), await bank.register(name="王晓明")
    await launched(bank, survivor, name="存款节")
    taken = await launched(bank, duplicate, name="理财季", channel="EMAIL")
    await moved(bank, taken, duplicate, "CONTACTED", "RESPONDED")
    await withdraw(bank, survivor, "PHONE")
    await withdraw(bank, duplicate, "PHONE", "APP")

    merged = await merge(bank, survivor, duplicate)

    assert summary(merged) == [("理财季", "RESPONDED"), ("存款节", "TARGETED")]
    assert merged["marketingOptOuts"] == ["APP", "PHONE"]
    assert [r.status for r in await responses(bank, taken, survivor)] == [
        "CONTACTED",
        "RESPONDED",
    ]
    assert await rows_of(bank, duplicate, Membership) == 0
    assert await rows_of(bank, duplicate, OptOut) == 0
    assert (await marketing_of(bank, survivor))["campaigns"] == merged["campaigns"]


async def test_where_both_were_in_one_campaign_one_membership_keeps_every_response(bank):
    survivor, duplicate = await bank.register(name="王小明"), await bank.register(name="王晓明")
    campaign = await launched(bank, survivor, duplicate)
    await moved(bank, campaign, survivor, "RESPONDED")
    await moved(bank, campaign, duplicate, "CONTACTED", by="bj.manager", note="重复档案")

    merged = await merge(bank, survivor, duplicate)

    assert summary(merged) == [("春季理财推广", "RESPONDED")]
    assert merged["campaigns"][0]["campaign"]["memberCount"] == 1
    assert await bank.count(Membership) == 1
    kept = await responses(bank, campaign, survivor)
    assert sorted((r.status, r.note) for r in kept) == [
        ("CONTACTED", "重复档案"),
        ("RESPONDED", None),
    ]
    assert await bank.count(Response) == 2


async def test_where_the_duplicate_had_come_further_the_kept_membership_shows_it(bank):
    survivor, duplicate = await bank.register(name="王小明"), await bank.register(name="王晓明")
    campaign = await launched(bank, survivor, duplicate)
    await moved(bank, campaign, duplicate, "CONVERTED", amount="30000")

    merged = await merge(bank, survivor, duplicate)

    (kept,) = merged["campaigns"]
    assert (kept["status"], kept["convertedAmount"]) == ("CONVERTED", {"amount": "30000.00"})
