"""Two members of one campaign merged into one customer get one message."""

from __future__ import annotations

from plugins.marketing.delivery.models import MessageStatus
from plugins.marketing.delivery.worker import deliver
from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.delivery.conftest import Gateway, channels
from tests.plugins.marketing.delivery.messages import outbox
from tests.plugins.marketing.test_campaigns import launched
from tests.plugins.marketing.test_customer_wiring import merge


async def test_the_merged_away_member_s_message_is_not_sent(bank: Bank, gateway: Gateway) -> None:
    survivor = await bank.register(phone="13900005555")
    duplicate = await bank.register(phone="13900006666")
    campaign = await launched(bank, survivor, duplicate, channel="SMS")

    await merge(bank, survivor, duplicate)
    await deliver(bank.runtime.database, channels(gateway=gateway))

    assert [call["to"] for call in gateway.calls] == ["13900005555"]
    messages = await outbox(bank, campaign)
    assert sorted((m.status, m.last_error) for m in messages) == [
        (MessageStatus.SENT, None),
        (MessageStatus.SUPPRESSED, "CUSTOMER_MERGED"),
    ]
    assert len({m.membership_id for m in messages}) == 1
