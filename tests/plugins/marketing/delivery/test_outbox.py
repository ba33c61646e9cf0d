"""Launching a campaign queues its messages in the same transaction: one per
member on e-mail, SMS and app campaigns, none for phone and branch campaigns,
none at all when the launch is refused."""

from __future__ import annotations

import pytest

from plugins.marketing.delivery.models import MessageStatus, OutboxMessage
from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.delivery.messages import outbox
from tests.plugins.marketing.test_campaigns import act, create, launched, picked

MESSAGE = "query($id: ID!) { campaign(id: $id) { message } }"


@pytest.mark.parametrize("channel", ["EMAIL", "SMS", "APP"])
async def test_a_launch_queues_one_message_per_member(bank: Bank, channel: str) -> None:
    customers = [await bank.register() for _ in range(3)]

    campaign = await launched(bank, *customers, channel=channel)

    messages = await outbox(bank, campaign)
    assert len(messages) == 3
    assert {m.status for m in messages} == {MessageStatus.PENDING}
    assert {m.channel.value for m in messages} == {channel}
    assert {m.attempts for m in messages} == {0}
    assert len({m.key for m in messages}) == 3


@pytest.mark.parametrize("channel", ["PHONE", "BRANCH"])
async def test_staff_channels_queue_nothing(bank: Bank, channel: str) -> None:
    campaign = await launched(bank, await bank.register(), channel=channel)

    assert await outbox(bank, campaign) == []


async def test_a_refused_launch_queues_nothing(bank: Bank) -> None:
    before = await bank.count(OutboxMessage)
    campaign = await create(bank, channel="EMAIL", audience={"tags": ["nobody-has-this"]})

    payload = await act(bank, "launch", campaign)

    assert [e["code"] for e in payload["errors"]] == ["EMPTY_AUDIENCE"]
    assert await bank.count(OutboxMessage) == before


async def test_the_message_text_is_kept_with_the_campaign(bank: Bank) -> None:
    customer = await bank.register()
    campaign = await create(
        bank,
        channel="EMAIL",
        audience=await picked(bank, customer),
        message="  三年期大额存单发售 ",
    )
    caller = await bank.sign_in("marketing")

    body = await caller.data(MESSAGE, {"id": campaign["id"]})

    assert body["campaign"]["message"] == "三年期大额存单发售"
