"""E-mail campaigns delivered to a real local SMTP server."""

from __future__ import annotations

from datetime import timedelta

from core.columns import utcnow
from plugins.marketing.delivery.models import MessageStatus
from plugins.marketing.delivery.worker import deliver
from plugins.marketing.models import MembershipStatus
from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.delivery.conftest import SmtpServer, channels
from tests.plugins.marketing.delivery.messages import membership_statuses, outbox
from tests.plugins.marketing.test_campaigns import launched

DELIVERY = "query($id: ID!) { campaign(id: $id) { delivery { queued sent failed suppressed } } }"


async def test_each_member_receives_the_campaign_once(bank: Bank, smtp_server: SmtpServer) -> None:
    first = await bank.register(name="李雷", email="lilei@example.com")
    second = await bank.register(name="韩梅梅", email="hanmeimei@example.com")
    campaign = await launched(
        bank,
        first,
        second,
        channel="EMAIL",
        name="大额存单发售",
        message="三年期大额存单今日发售。",
    )
    settings = channels(smtp_server)

    report = await deliver(bank.runtime.database, settings)
    again = await deliver(bank.runtime.database, settings)

    received = {m["To"]: m for m in smtp_server.mailbox.messages}
    assert sorted(received) == ["hanmeimei@example.com", "lilei@example.com"]
    lilei = received["lilei@example.com"]
    assert lilei["Subject"] == "大额存单发售"
    assert lilei["From"] == settings.smtp_sender
    assert lilei.get_content().strip() == "尊敬的李雷：三年期大额存单今日发售。"
    messages = await outbox(bank, campaign)
    assert {m.status for m in messages} == {MessageStatus.SENT}
    assert sorted(f"<{m.key}@bank.example>" for m in messages) == sorted(
        m["Message-ID"] for m in smtp_server.mailbox.messages
    )
    assert report.counts[MessageStatus.SENT] == 2
    assert sum(again.counts.values()) == 0
    assert len(smtp_server.mailbox.messages) == 2
    assert await membership_statuses(bank, campaign) == [MembershipStatus.CONTACTED] * 2
    caller = await bank.sign_in("marketing")
    figures = (await caller.data(DELIVERY, {"id": campaign["id"]}))["campaign"]["delivery"]
    assert figures == {"queued": 0, "sent": 2, "failed": 0, "suppressed": 0}


async def test_a_recipient_the_server_refuses_fails_for_good(
    bank: Bank, smtp_server: SmtpServer
) -> None:
    good = await bank.register(email="good@example.com")
    gone = await bank.register(email="gone@example.com")
    smtp_server.mailbox.refused.add("gone@example.com")
    campaign = await launched(bank, good, gone, channel="EMAIL")

    await deliver(bank.runtime.database, channels(smtp_server))

    by_status = {m.status: m for m in await outbox(bank, campaign)}
    assert set(by_status) == {MessageStatus.SENT, MessageStatus.FAILED}
    assert by_status[MessageStatus.FAILED].last_error == "SMTP 550"
    assert [m["To"] for m in smtp_server.mailbox.messages] == ["good@example.com"]


async def test_a_server_that_is_down_loses_nothing(bank: Bank, smtp_server: SmtpServer) -> None:
    customers = [await bank.register(email=f"c{n}@example.com") for n in range(3)]
    campaign = await launched(bank, *customers, channel="EMAIL")
    settings = channels(smtp_server, delivery_retry_seconds=60)
    smtp_server.stop()
    now = utcnow()

    down = await deliver(bank.runtime.database, settings, clock=lambda: now)
    too_soon = await deliver(bank.runtime.database, settings, clock=lambda: now)

    messages = await outbox(bank, campaign)
    assert down.counts[MessageStatus.PENDING] == 3
    assert sum(too_soon.counts.values()) == 0, "retried before its back-off"
    assert {(m.status, m.attempts, m.last_error) for m in messages} == {
        (MessageStatus.PENDING, 1, "CONNECTION_FAILED")
    }
    assert {m.next_attempt_at for m in messages} == {now + timedelta(seconds=60)}

    smtp_server.start()
    later = now + timedelta(seconds=61)
    await deliver(bank.runtime.database, settings, clock=lambda: later)

    assert {m.status for m in await outbox(bank, campaign)} == {MessageStatus.SENT}
    assert sorted(m["To"] for m in smtp_server.mailbox.messages) == [
        "c0@example.com",
        "c1@example.com",
        "c2@example.com",
    ]


async def test_a_customer_without_an_e_mail_address_is_not_sent_to(
    bank: Bank, smtp_server: SmtpServer
) -> None:
    customer = await bank.register(email=None)
    campaign = await launched(bank, customer, channel="EMAIL")

    await deliver(bank.runtime.database, channels(smtp_server))

    [message] = await outbox(bank, campaign)
    assert (message.status, message.last_error) == (MessageStatus.SUPPRESSED, "NO_ADDRESS")
    assert smtp_server.mailbox.messages == []
    assert await membership_statuses(bank, campaign) == [MembershipStatus.TARGETED]
