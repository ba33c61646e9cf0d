"""Batch loads of campaigns' delivery figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select

from core.context import Context
from plugins.marketing.delivery.models import MessageStatus, OutboxMessage


async def message_counts(context: Context, ids: Sequence[int]) -> list[Counter[MessageStatus]]:
    """Each campaign's messages counted by status, in one statement."""
    rows = await context.session.execute(
        select(OutboxMessage.campaign_id, OutboxMessage.status, func.count())
        .where(OutboxMessage.campaign_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(OutboxMessage.campaign_id, OutboxMessage.status)
    )
    counts: dict[int, Counter[MessageStatus]] = {i: Counter() for i in ids}
    for campaign_id, status, number in rows:
        counts[campaign_id][status] = number
    return [counts[i] for i in ids]
