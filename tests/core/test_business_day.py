"""The business date (core.business_day): postings hold it shared, the
end-of-day batch exclusively, and neither starves the other."""

from __future__ import annotations

import asyncio
from datetime import date

from core.business_day import BusinessDay, hold_business_date
from core.db import Mode
from core.runtime import Runtime

HELD_FOR = 0.2
"""Seconds each posting of the relay holds the date."""
ONE_EVERY = 0.1
"""Seconds between postings of the relay: each begins before the last one ends."""


async def test_the_batch_gets_the_date_while_postings_keep_coming(runtime: Runtime) -> None:
    """A batch waiting for the postings in flight goes before the postings that
    come after it: an unbroken relay of postings, each holding the date shared
    while the next one takes it, never keeps the batch waiting for a lull.

    (On PostgreSQL a row locked ``FOR SHARE`` admits new sharers past a
    ``FOR UPDATE`` waiting for it: the batch waited as long as transfers came.)"""
    async with runtime.database.transaction(Mode.WRITE) as session:
        session.add(BusinessDay(open_date=date(2026, 3, 10)))
    stop = asyncio.Event()

    async def posting() -> None:
        async with runtime.database.transaction(Mode.WRITE) as session:
            await hold_business_date(session, runtime.settings)
            await asyncio.sleep(HELD_FOR)

    async def relay() -> None:
        postings = []
        while not stop.is_set():
            postings.append(asyncio.create_task(posting()))
            await asyncio.sleep(ONE_EVERY)
        await asyncio.gather(*postings)

    relaying = asyncio.create_task(relay())
    await asyncio.sleep(3 * ONE_EVERY)
    loop = asyncio.get_running_loop()
    asked_at = loop.time()
    try:
        async with runtime.database.transaction(Mode.WRITE) as session:
            await asyncio.wait_for(
                hold_business_date(session, runtime.settings, exclusive=True), timeout=10
            )
            waited = loop.time() - asked_at
    finally:
        stop.set()
        await relaying

    assert waited < 10 * HELD_FOR
