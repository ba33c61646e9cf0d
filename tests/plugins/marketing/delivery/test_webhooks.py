"""SMS and app pushes delivered as HMAC-signed calls to a real local gateway."""

from __future__ import annotations

from pydantic import SecretStr

from plugins.marketing.delivery.models import MessageStatus
from plugins.marketing.delivery.worker import SMS_SIGN_OFF, deliver
from plugins.marketing.models import MembershipStatus
from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.delivery.conftest import Gateway, channels
from tests.plugins.marketing.delivery.messages import membership_statuses, outbox
from tests.plugins.marketing.test_campaigns import launched

WITHDRAW = """
mutation($input: MarketingConsentInput!) {
  withdrawMarketingConsent(input: $input) { errors { code } }
}
"""


async def test_an_sms_is_a_signed_call_with_the_message_key(bank: Bank, gateway: Gateway) -> None:
    customer = await bank.register(name="李雷", phone="13900001111")
    campaign = await launched(
        bank, customer, channel="SMS", name="理财节", message="稳健理财上新。"
    )

    await deliver(bank.runtime.database, channels(gateway=gateway))

    [message] = await outbox(bank, campaign)
    assert gateway.bad_signatures == 0
    assert gateway.calls == [
        {
            "id": message.key,
            "channel": "SMS",
            "to": "13900001111",
            "subject": "理财节",
            "text": f"尊敬的李雷：稳健理财上新。 {SMS_SIGN_OFF}",
        }
    ]
    assert (message.status, message.gateway_reference) == (MessageStatus.SENT, f"gw-{message.key}")
    assert await membership_statuses(bank, campaign) == [MembershipStatus.CONTACTED]


async def test_an_app_push_goes_to_the_customer_number(bank: Bank, gateway: Gateway) -> None:
    customer = await bank.register()
    await launched(bank, customer, channel="APP")

    await deliver(bank.runtime.database, channels(gateway=gateway))

    assert [(call["channel"], call["to"]) for call in gateway.calls] == [
        ("APP", customer["customerNo"])
    ]


async def test_a_call_signed_with_another_key_is_refused_by_the_gateway(
    bank: Bank, gateway: Gateway
) -> None:
    campaign = await launched(bank, await bank.register(), channel="SMS")

    await deliver(
        bank.runtime.database, channels(gateway=gateway, gateway_secret=SecretStr("wrong"))
    )

    [message] = await outbox(bank, campaign)
    assert gateway.bad_signatures == 1
    assert (message.status, message.last_error) == (MessageStatus.FAILED, "HTTP 401")
    assert gateway.delivered == {}


async def test_a_number_the_gateway_refuses_fails_without_retrying(
    bank: Bank, gateway: Gateway
) -> None:
    customer = await bank.register(phone="13900002222")
    gateway.refused.add("13900002222")
    campaign = await launched(bank, customer, channel="SMS")

    await deliver(bank.runtime.database, channels(gateway=gateway))

    [message] = await outbox(bank, campaign)
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.FAILED,
        1,
        "HTTP 400",
    )


async def test_consent_withdrawn_after_the_launch_is_honoured(bank: Bank, gateway: Gateway) -> None:
    keeps = await bank.register(phone="13900003333")
    withdraws = await bank.register(phone="13900004444")
    campaign = await launched(bank, keeps, withdraws, channel="SMS")
    caller = await bank.sign_in("marketing")
    body = await caller.data(
        WITHDRAW, {"input": {"customerId": withdraws["id"], "channels": ["SMS"]}}
    )
    assert body["withdrawMarketingConsent"]["errors"] == []

    await deliver(bank.runtime.database, channels(gateway=gateway))

    assert [call["to"] for call in gateway.calls] == ["13900003333"]
    statuses = {(m.status, m.last_error) for m in await outbox(bank, campaign)}
    assert statuses == {(MessageStatus.SENT, None), (MessageStatus.SUPPRESSED, "CONSENT_WITHDRAWN")}


async def test_a_channel_without_a_gateway_keeps_its_messages_queued(bank: Bank) -> None:
    campaign = await launched(bank, await bank.register(), channel="SMS")

    report = await deliver(bank.runtime.database, channels())

    assert sum(report.counts.values()) == 0
    [message] = await outbox(bank, campaign)
    assert (message.status, message.attempts) == (MessageStatus.PENDING, 0)
