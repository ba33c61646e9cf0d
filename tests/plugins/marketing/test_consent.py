"""Marketing consent: a customer withdraws it per channel, and may give it back;
staff who serve customers record it, within their scope."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.marketing.models import OptOut
from tests.plugins.customer.conftest import SH, error_codes, global_id
from tests.plugins.marketing.conftest import Bank, codes

WITHDRAW = """
mutation($input: MarketingConsentInput!) {
  withdrawMarketingConsent(input: $input) {
    customer { customerNo marketingOptOuts }
    errors { field message code }
  }
}
"""
RESTORE = """
mutation($input: MarketingConsentInput!) {
  restoreMarketingConsent(input: $input) {
    customer { customerNo marketingOptOuts }
    errors { field message code }
  }
}
"""
OPT_OUTS = "query($id: ID!) { customer(id: $id) { marketingOptOuts } }"


async def consent(
    bank: Bank, mutation: str, customer: dict[str, Any] | str, channels: list[str], by: str
) -> dict[str, Any]:
    """The payload of ``mutation`` (withdraw or restore) as ``by`` sends it."""
    caller = await bank.sign_in(by)
    customer_id = customer if isinstance(customer, str) else customer["id"]
    body = await caller.data(mutation, {"input": {"customerId": customer_id, "channels": channels}})
    return next(iter(body.values()))


async def withdraw(
    bank: Bank, customer: dict[str, Any] | str, *channels: str, by: str = "marketing"
) -> dict[str, Any]:
    return await consent(bank, WITHDRAW, customer, list(channels), by)


async def restore(
    bank: Bank, customer: dict[str, Any] | str, *channels: str, by: str = "marketing"
) -> dict[str, Any]:
    return await consent(bank, RESTORE, customer, list(channels), by)


async def opt_outs(bank: Bank, customer: dict[str, Any]) -> list[str]:
    """The customer's opted-out channels, as head office reads them."""
    admin = await bank.sign_in("admin")
    return (await admin.data(OPT_OUTS, {"id": customer["id"]}))["customer"]["marketingOptOuts"]


async def recorded_by(bank: Bank) -> dict[str, int]:
    """Who recorded each opt-out, by channel."""
    async with bank.runtime.database.transaction(Mode.READ) as session:
        rows = await session.execute(select(OptOut.channel, OptOut.recorded_by))
        return {channel.value: user_id for channel, user_id in rows}


async def test_a_customer_starts_with_no_opt_outs(bank: Bank):
    customer = await bank.register()

    assert await opt_outs(bank, customer) == []


async def test_withdrawn_channels_show_on_the_customer(bank: Bank):
    customer = await bank.register()

    payload = await withdraw(bank, customer, "SMS", "EMAIL")

    assert payload["errors"] == []
    assert payload["customer"] == {
        "customerNo": customer["customerNo"],
        "marketingOptOuts": ["EMAIL", "SMS"],
    }
    assert await opt_outs(bank, customer) == ["EMAIL", "SMS"]


async def test_withdrawing_adds_to_what_was_withdrawn_before(bank: Bank):
    customer = await bank.register()
    await withdraw(bank, customer, "PHONE")

    await withdraw(bank, customer, "APP", "BRANCH")

    assert await opt_outs(bank, customer) == ["APP", "BRANCH", "PHONE"]


async def test_withdrawing_twice_is_harmless(bank: Bank):
    customer = await bank.register()
    await withdraw(bank, customer, "SMS")

    again = await withdraw(bank, customer, "SMS", "SMS")

    assert again["errors"] == []
    assert again["customer"]["marketingOptOuts"] == ["SMS"]
    assert await bank.count(OptOut) == 1


async def test_withdrawing_for_one_customer_leaves_the_others_alone(bank: Bank):
    customer, other = await bank.register(), await bank.register()

    await withdraw(bank, customer, "SMS")

    assert await opt_outs(bank, other) == []


async def test_restoring_consent_removes_those_channels_only(bank: Bank):
    customer = await bank.register()
    await withdraw(bank, customer, "SMS", "EMAIL", "PHONE")

    payload = await restore(bank, customer, "SMS", "PHONE")

    assert payload["errors"] == []
    assert payload["customer"]["marketingOptOuts"] == ["EMAIL"]
    assert await opt_outs(bank, customer) == ["EMAIL"]
    assert await bank.count(OptOut) == 1


async def test_restoring_a_channel_never_withdrawn_is_harmless(bank: Bank):
    customer = await bank.register()
    await withdraw(bank, customer, "EMAIL")

    payload = await restore(bank, customer, "SMS")

    assert payload["errors"] == []
    assert await opt_outs(bank, customer) == ["EMAIL"]


@pytest.mark.parametrize("who", ["marketing", "bj.teller", "bj.manager", "bj.rm", "bj.agent"])
async def test_staff_serving_the_customer_may_record_consent(bank: Bank, who: str):
    customer = await bank.register(by="bj.rm")  # managed by bj.rm

    withdrawn = await withdraw(bank, customer, "SMS", "APP", by=who)
    restored = await restore(bank, customer, "APP", by=who)

    assert withdrawn["errors"] == []
    assert restored["errors"] == []
    assert await opt_outs(bank, customer) == ["SMS"]
    assert await recorded_by(bank) == {"SMS": bank.user_ids[who]}


@pytest.mark.parametrize(
    ("who", "branch"),
    [
        ("bj.teller", SH),  # another branch
        ("bj.manager", SH),
        ("bj.rm", "BJ-001"),  # in the branch, but not in the portfolio
    ],
)
async def test_a_customer_out_of_scope_is_not_found(bank: Bank, who: str, branch: str):
    customer = await bank.register(branchCode=branch)
    await withdraw(bank, customer, "EMAIL")

    withdrawn = await withdraw(bank, customer, "SMS", by=who)
    restored = await restore(bank, customer, "EMAIL", by=who)

    for payload in (withdrawn, restored):
        assert codes(payload) == ["NOT_FOUND"]
        assert payload["errors"][0]["field"] == ["input", "customerId"]
        assert payload["customer"] is None
    assert await opt_outs(bank, customer) == ["EMAIL"]


async def test_an_unknown_customer_is_not_found(bank: Bank):
    payload = await withdraw(bank, global_id("Customer", 999999), "SMS")

    assert codes(payload) == ["NOT_FOUND"]
    assert await bank.count(OptOut) == 0


@pytest.mark.parametrize("mutation", [WITHDRAW, RESTORE])
async def test_an_auditor_may_not_record_consent(bank: Bank, mutation: str):
    customer = await bank.register()
    await withdraw(bank, customer, "PHONE")
    auditor = await bank.sign_in("auditor")

    body = await auditor.execute(
        mutation, {"input": {"customerId": customer["id"], "channels": ["SMS", "PHONE"]}}
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await opt_outs(bank, customer) == ["PHONE"]
