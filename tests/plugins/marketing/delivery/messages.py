"""Reading the outbox in the delivery tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import Mode
from plugins.marketing.delivery.models import OutboxMessage
from plugins.marketing.models import Membership, MembershipStatus
from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.test_campaigns import db_id


async def outbox(bank: Bank, campaign: dict[str, Any]) -> list[OutboxMessage]:
    async with bank.runtime.database.transaction(Mode.READ) as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.campaign_id == db_id(campaign))
            .order_by(OutboxMessage.id)
        )
        return list(rows)


async def membership_statuses(bank: Bank, campaign: dict[str, Any]) -> list[MembershipStatus]:
    async with bank.runtime.database.transaction(Mode.READ) as session:
        rows = await session.scalars(
            select(Membership.status)
            .where(Membership.campaign_id == db_id(campaign))
            .order_by(Membership.id)
        )
        return list(rows)
