"""The bank's business date (营业日期): the day postings are value-dated with.

It starts on the day the bank is first used (in ``CRM_TIMEZONE``) and moves on
only when the end-of-day batch closes it (``core.end_of_day``). It is one row:

- money postings *hold* it (:func:`hold_business_date`): on PostgreSQL a shared
  row lock, so postings run side by side, while the batch, which takes the row
  exclusively, waits for the postings in flight and they wait for it. The
  batch first locks the table (``EXCLUSIVE``, which plain reads pass): a row
  lock alone would let each new posting's share lock past the batch's waiting
  one, and under a steady flow of postings the batch would wait for a lull
  that never comes; table locks queue in turn. On SQLite a write transaction
  already holds the whole database.
- reads just read it (:func:`open_business_date`).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from core.db import insert_for
from core.settings import Settings

CALENDAR_ROW = 1


class BusinessDay(SQLModel, table=True):
    """The open business date; exactly one row."""

    __tablename__ = "kernel_business_day"

    id: int = Field(default=CALENDAR_ROW, primary_key=True)
    open_date: date


_CALENDAR = BusinessDay.__table__  # type: ignore[attr-defined]
_OPEN_DATE = select(_CALENDAR.c.open_date).where(_CALENDAR.c.id == CALENDAR_ROW)
_SHARED = _OPEN_DATE.with_for_update(read=True)
_EXCLUSIVE = _OPEN_DATE.with_for_update()
"""Built once, on the table: every money movement holds the date (see
``core.db`` on hot statements)."""


async def open_business_date(session: AsyncSession, settings: Settings) -> date:
    """The open business date (today, in the bank's zone, before the bank's first day)."""
    return await session.scalar(_OPEN_DATE) or settings.today()


async def hold_business_date(
    session: AsyncSession, settings: Settings, *, exclusive: bool = False
) -> date:
    """The open business date, held until the transaction ends: shared by
    postings, ``exclusive`` for the end-of-day batch that moves it."""
    locked = _OPEN_DATE
    if session.bind.dialect.name == "postgresql":
        if exclusive:
            await session.execute(text(f"LOCK TABLE {BusinessDay.__tablename__} IN EXCLUSIVE MODE"))
        locked = _EXCLUSIVE if exclusive else _SHARED
    found = await session.scalar(locked)
    if found is None:
        await session.execute(
            insert_for(session, BusinessDay)
            .values(id=CALENDAR_ROW, open_date=settings.today())
            .on_conflict_do_nothing(index_elements=[BusinessDay.id])
        )
        found = await session.scalar(locked)
    return found  # type: ignore[return-value]


async def move_business_date(session: AsyncSession, to: date) -> None:
    """Open ``to``; the caller holds the date exclusively."""
    row = await session.get_one(BusinessDay, CALENDAR_ROW)
    row.open_date = to
    session.add(row)
    await session.flush()
