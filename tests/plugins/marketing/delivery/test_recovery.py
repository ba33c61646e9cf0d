"""What the outbox survives: a gateway outage, a sender dying between sending
and recording, two workers at once, and a gateway that never comes back. In
every case no message is lost and no customer receives one twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from core.columns import utcnow
from plugins.marketing.delivery import worker
from plugins.marketing.delivery.models import MessageStatus
from plugins.marketing.delivery.worker import deliver
from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.delivery.conftest import Gateway, channels
from tests.plugins.marketing.delivery.messages import outbox
from tests.plugins.marketing.test_campaigns import launched

MEMBERS = 12


async def sms_campaign(bank: Bank, members: int = MEMBERS) -> dict[str, Any]:
    customers = [await bank.register() for _ in range(members)]
    return await launched(bank, *customers, channel="SMS")


async def test_an_outage_and_recovery_lose_nothing_and_send_nothing_twice(
    bank: Bank, gateway: Gateway
) -> None:
    campaign = await sms_campaign(bank)
    settings = channels(gateway=gateway, delivery_batch_size=5, delivery_retry_seconds=30)
    now = utcnow()
    gateway.failing_with = 503
    await deliver(bank.runtime.database, settings, clock=lambda: now)
    gateway.stop()
    second = now + timedelta(seconds=31)
    await deliver(bank.runtime.database, settings, clock=lambda: second)

    waiting = await outbox(bank, campaign)
    assert {(m.status, m.attempts, m.last_error) for m in waiting} == {
        (MessageStatus.PENDING, 2, "CONNECTION_FAILED")
    }
    assert {m.next_attempt_at for m in waiting} == {second + timedelta(seconds=60)}
    assert gateway.delivered == {}

    gateway.failing_with = None
    gateway.start()
    third = second + timedelta(seconds=61)
    await deliver(bank.runtime.database, settings, clock=lambda: third)

    sent = await outbox(bank, campaign)
    assert {m.status for m in sent} == {MessageStatus.SENT}
    assert sorted(gateway.delivered) == sorted(m.key for m in sent)
    accepted = Counter(call["id"] for call in gateway.calls[MEMBERS:])
    assert set(accepted.values()) == {1}, "a message was called twice after the recovery"


async def test_a_sender_dying_after_sending_is_covered_by_the_message_key(
    bank: Bank, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = await sms_campaign(bank, members=3)
    settings = channels(gateway=gateway, delivery_lease_seconds=120)
    now = utcnow()

    async def dies(*args: Any, **kwargs: Any) -> None:
        raise SystemExit("killed between sending and recording")

    with monkeypatch.context() as patched:
        patched.setattr(worker, "_record", dies)
        with pytest.raises(SystemExit):
            await deliver(bank.runtime.database, settings, clock=lambda: now)
    leased = await outbox(bank, campaign)
    assert {m.status for m in leased} == {MessageStatus.SENDING}
    assert len(gateway.delivered) == 3

    still_leased = await deliver(bank.runtime.database, settings, clock=lambda: now)
    assert sum(still_leased.counts.values()) == 0
    after_lease = now + timedelta(seconds=121)
    await deliver(bank.runtime.database, settings, clock=lambda: after_lease)

    messages = await outbox(bank, campaign)
    assert {(m.status, m.attempts) for m in messages} == {(MessageStatus.SENT, 2)}
    assert len(gateway.calls) == 6, "each message was tried again, under the same key"
    assert sorted(gateway.delivered) == sorted(m.key for m in messages), "received once"


async def test_two_workers_at_once_send_each_message_once(bank: Bank, gateway: Gateway) -> None:
    campaign = await sms_campaign(bank)
    settings = channels(gateway=gateway, delivery_batch_size=3)

    reports = await asyncio.gather(
        deliver(bank.runtime.database, settings), deliver(bank.runtime.database, settings)
    )

    assert sum(report.counts[MessageStatus.SENT] for report in reports) == MEMBERS
    assert len(gateway.calls) == MEMBERS
    assert len({call["id"] for call in gateway.calls}) == MEMBERS
    assert {m.status for m in await outbox(bank, campaign)} == {MessageStatus.SENT}


async def test_a_gateway_that_never_answers_gives_up_after_the_last_attempt(
    bank: Bank, gateway: Gateway
) -> None:
    campaign = await sms_campaign(bank, members=2)
    settings = channels(gateway=gateway, delivery_max_attempts=3, delivery_retry_seconds=10)
    gateway.failing_with = 502
    moment = utcnow()
    for attempt in range(3):
        at = moment + timedelta(seconds=10 * 2**attempt)
        await deliver(bank.runtime.database, settings, clock=lambda at=at: at)

    messages = await outbox(bank, campaign)
    assert {(m.status, m.attempts, m.last_error) for m in messages} == {
        (MessageStatus.FAILED, 3, "HTTP 502")
    }
    later = await deliver(bank.runtime.database, settings, clock=lambda: moment + timedelta(days=1))
    assert sum(later.counts.values()) == 0
