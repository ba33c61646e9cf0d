"""The finance plugin's events on the customer timeline: accounts opened and
closed, freezes placed and released. Each kind is one statement for all the
customers asked about (``plugins.customer.timeline.newest``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.customer.timeline import (
    TimelineEvent,
    TimelinePage,
    TimelineQuery,
    key_for,
    newest,
    newest_first,
)
from plugins.finance.models import Account, Freeze, FreezeMode

SOURCE = "finance"
KIND_WORDS = {"DEMAND": "Demand account", "FIXED": "Fixed deposit"}
FREEZE_WORDS = {
    FreezeMode.FULL: "fully frozen",
    FreezeMode.DEBIT: "frozen for debits",
    FreezeMode.PARTIAL: "partly frozen",
}


async def _account_moments(
    session: AsyncSession, query: TimelineQuery, moment: Any, tag: str, verb: str
) -> list[TimelineEvent]:
    ranked = newest(
        query,
        SOURCE,
        [Account.id, Account.customer_id, moment.label("moment"), Account.kind, Account.account_no],
        Account.customer_id,
        moment,
        Account.id,
        tag,
    )
    ranked = ranked.where(moment.is_not(None)).subquery()
    rows = await session.execute(select(ranked).where(ranked.c.position <= query.limit))
    return [
        TimelineEvent(
            customer_id=row.customer_id,
            occurred_at=row.moment,
            kind=f"finance.account_{verb}",
            title=f"{KIND_WORDS[row.kind]} {row.account_no} {verb}",
            source=SOURCE,
            key=key_for(tag, row.id),
        )
        for row in rows
    ]


async def _freezes(session: AsyncSession, query: TimelineQuery) -> list[TimelineEvent]:
    ranked = newest(
        query,
        SOURCE,
        [Freeze.id, Account.customer_id, Freeze.created_at, Freeze.mode, Account.account_no],
        Account.customer_id,
        Freeze.created_at,
        Freeze.id,
        "freeze",
    )
    ranked = ranked.join_from(Freeze, Account, Account.id == Freeze.account_id).subquery()
    rows = await session.execute(select(ranked).where(ranked.c.position <= query.limit))
    return [
        TimelineEvent(
            customer_id=row.customer_id,
            occurred_at=row.created_at,
            kind="finance.account_frozen",
            title=f"Account {row.account_no} {FREEZE_WORDS[FreezeMode(row.mode)]}",
            source=SOURCE,
            key=key_for("freeze", row.id),
        )
        for row in rows
    ]


async def finance_events(session: AsyncSession, query: TimelineQuery) -> Mapping[int, TimelinePage]:
    """The ``crm_customer_timeline`` answer of the finance plugin."""
    if not query.customer_ids or query.limit <= 0:
        return {}
    found: dict[int, list[TimelineEvent]] = defaultdict(list)
    events = [
        *await _account_moments(session, query, Account.opened_at, "opened", "opened"),
        *await _account_moments(session, query, Account.closed_at, "closed", "closed"),
        *await _freezes(session, query),
    ]
    for event in events:
        found[event.customer_id].append(event)
    return {customer_id: newest_first(events) for customer_id, events in found.items()}
