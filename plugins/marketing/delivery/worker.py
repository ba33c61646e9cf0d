"""The delivery worker (``crm marketing deliver``, and the end-of-day batch):
sends the outbox's due messages, batch after batch, until none is due.

Each batch goes through three short transactions and no transaction is open
while a gateway is called:

1. **claim**: due messages (PENDING whose time has come, or SENDING whose
   sender's lease ran out) become SENDING under a lease, their attempt counted;
   on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several workers share the
   outbox, on SQLite the write lock does;
2. **send**, after re-reading consent, address and campaign: a message whose
   customer has since opted out, closed or lost the address, or whose campaign
   was cancelled, is SUPPRESSED, never sent;
3. **record** each outcome, guarded by the attempt it claimed (a worker whose
   lease ran out cannot overwrite a newer attempt): SENT (the membership
   becomes CONTACTED), back to PENDING after an exponential back-off, or
   FAILED when refused for good or out of attempts.

A gateway that cannot be reached loses nothing: its messages wait. A sender
that dies between sending and recording leaves a lease that runs out, and the
message is tried again under the same key (Message-ID, Idempotency-Key), which
the gateway uses to drop the repeat: the customer receives it once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import utcnow
from core.db import Database, Mode
from plugins.customer.models import Customer, CustomerStatus
from plugins.marketing.delivery.gateways import (
    Outcome,
    Outgoing,
    Result,
    configured_channels,
    send,
)
from plugins.marketing.delivery.models import MessageStatus, OutboxMessage
from plugins.marketing.models import (
    Campaign,
    CampaignChannel,
    CampaignStatus,
    Membership,
    MembershipStatus,
    OptOut,
)
from plugins.marketing.settings import MarketingSettings, marketing_settings

LONGEST_BACK_OFF = timedelta(hours=6)
DOUBLINGS_MAX = 20
SMS_SIGN_OFF = "回复TD退订"


@dataclass(frozen=True, order=True)
class Claimed:
    id: int
    attempts: int


@dataclass
class DeliveryReport:
    """How many messages each outcome had, over every batch of a run."""

    counts: Counter[MessageStatus]

    def __str__(self) -> str:
        c = self.counts
        return (
            f"{c[MessageStatus.SENT]} sent, {c[MessageStatus.PENDING]} to retry, "
            f"{c[MessageStatus.FAILED]} failed, {c[MessageStatus.SUPPRESSED]} suppressed"
        )


async def deliver(
    database: Database,
    settings: MarketingSettings | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> DeliveryReport:
    """Send every message due now on a configured channel."""
    settings = settings or marketing_settings()
    channels = configured_channels(settings)
    report = DeliveryReport(Counter())
    if not channels:
        return report
    while claimed := await _claim(database, settings, channels, clock()):
        async with database.transaction(Mode.READ) as session:
            outgoing, suppressed = await _compose(session, [c.id for c in claimed])
        outcomes = await send(settings, list(outgoing.values())) if outgoing else {}
        async with database.transaction(Mode.WRITE) as session:
            made = await _record(
                session, settings, claimed, outgoing, outcomes, suppressed, clock()
            )
        report.counts.update(made)
    return report


def _due(now: datetime) -> object:
    return or_(
        and_(OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == MessageStatus.SENDING, OutboxMessage.lease_until <= now),  # type: ignore[operator]
    )


async def _claim(
    database: Database,
    settings: MarketingSettings,
    channels: frozenset[CampaignChannel],
    now: datetime,
) -> list[Claimed]:
    due = and_(_due(now), OutboxMessage.channel.in_(channels))  # type: ignore[attr-defined]
    picked = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.id)
        .limit(settings.delivery_batch_size)
        .with_for_update(skip_locked=True)
    )
    async with database.transaction(Mode.WRITE) as session:
        rows = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(picked), due)  # type: ignore[union-attr]
            .values(
                status=MessageStatus.SENDING,
                lease_until=now + timedelta(seconds=settings.delivery_lease_seconds),
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(OutboxMessage.id, OutboxMessage.attempts)
        )
        return sorted(Claimed(id, attempts) for id, attempts in rows)


ADDRESS = {
    CampaignChannel.EMAIL: Customer.email,
    CampaignChannel.SMS: Customer.phone,
    CampaignChannel.APP: Customer.customer_no,
}


async def _compose(
    session: AsyncSession, ids: Sequence[int]
) -> tuple[dict[int, Outgoing], dict[int, str]]:
    """The messages to send, by id, and those not to send with the reason."""
    opted_out = exists().where(
        OptOut.customer_id == Customer.id, OptOut.channel == OutboxMessage.channel
    )
    address = case(
        *((OutboxMessage.channel == channel, column) for channel, column in ADDRESS.items())
    )
    rows = await session.execute(
        select(
            OutboxMessage.id,
            OutboxMessage.key,
            OutboxMessage.channel,
            address,
            Customer.name,
            Customer.status,
            opted_out,
            Campaign.name,
            Campaign.message,
            Campaign.status,
        )
        .join(Membership, Membership.id == OutboxMessage.membership_id)
        .join(Customer, Customer.id == Membership.customer_id)
        .join(Campaign, Campaign.id == OutboxMessage.campaign_id)
        .where(OutboxMessage.id.in_(ids))  # type: ignore[union-attr]
    )
    outgoing: dict[int, Outgoing] = {}
    suppressed: dict[int, str] = {}
    for id, key, channel, to, name, status, has_opted_out, subject, text, campaign in rows:
        if campaign is CampaignStatus.CANCELLED:
            suppressed[id] = "CAMPAIGN_CANCELLED"
        elif status is not CustomerStatus.ACTIVE:
            suppressed[id] = "CUSTOMER_CLOSED"
        elif has_opted_out:
            suppressed[id] = "CONSENT_WITHDRAWN"
        elif not to:
            suppressed[id] = "NO_ADDRESS"
        else:
            greeting = f"尊敬的{name}：{text or subject}"
            if channel is CampaignChannel.SMS:
                greeting = f"{greeting} {SMS_SIGN_OFF}"
            outgoing[id] = Outgoing(key, channel, to, subject, greeting)
    return outgoing, suppressed


async def _record(
    session: AsyncSession,
    settings: MarketingSettings,
    claimed: Sequence[Claimed],
    outgoing: dict[int, Outgoing],
    outcomes: dict[str, Outcome],
    suppressed: dict[int, str],
    now: datetime,
) -> Counter[MessageStatus]:
    changes = []
    for message in claimed:
        if message.id in suppressed:
            status, detail = MessageStatus.SUPPRESSED, suppressed[message.id]
        else:
            outcome = outcomes[outgoing[message.id].key]
            status, detail = _status(settings, message, outcome)
        changes.append(
            {
                "message_id": message.id,
                "claimed_attempts": message.attempts,
                "new_status": status,
                "next_attempt_at": now + _back_off(settings, message.attempts),
                "last_error": None if status is MessageStatus.SENT else detail,
                "reference": detail if status is MessageStatus.SENT else None,
                "sent_at": now if status is MessageStatus.SENT else None,
            }
        )
    table = OutboxMessage.__table__  # type: ignore[attr-defined]
    await session.execute(
        update(table)
        .where(
            table.c.id == bindparam("message_id"),
            table.c.status == MessageStatus.SENDING,
            table.c.attempts == bindparam("claimed_attempts"),
        )
        .values(
            status=bindparam("new_status"),
            next_attempt_at=bindparam("next_attempt_at"),
            last_error=bindparam("last_error"),
            gateway_reference=bindparam("reference"),
            sent_at=bindparam("sent_at"),
            lease_until=None,
        ),
        changes,
    )
    sent = [c["message_id"] for c in changes if c["new_status"] is MessageStatus.SENT]
    if sent:
        await session.execute(
            update(Membership)
            .where(
                Membership.id.in_(  # type: ignore[union-attr]
                    select(OutboxMessage.membership_id).where(OutboxMessage.id.in_(sent))  # type: ignore[union-attr]
                ),
                Membership.status == MembershipStatus.TARGETED,
            )
            .values(status=MembershipStatus.CONTACTED, updated_at=now)
        )
    return Counter(c["new_status"] for c in changes)


def _status(
    settings: MarketingSettings, message: Claimed, outcome: Outcome
) -> tuple[MessageStatus, str | None]:
    if outcome.result is Result.SENT:
        return MessageStatus.SENT, outcome.detail
    if outcome.result is Result.RETRY and message.attempts < settings.delivery_max_attempts:
        return MessageStatus.PENDING, outcome.detail
    return MessageStatus.FAILED, outcome.detail


def _back_off(settings: MarketingSettings, attempts: int) -> timedelta:
    """The wait before the next attempt: the first retry's delay, doubled for
    each attempt made, but never more than six hours."""
    doublings = min(attempts - 1, DOUBLINGS_MAX)
    return min(timedelta(seconds=settings.delivery_retry_seconds * 2**doublings), LONGEST_BACK_OFF)
