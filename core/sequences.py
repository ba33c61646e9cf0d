"""Named number sequences (customer numbers, account numbers, ticket numbers).

SQLite has no sequences, so each is a counter row advanced by one atomic
upsert. The row stays locked until the transaction ends: numbers are handed
out once, in order, and a rolled-back transaction gives its number back.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from core.db import insert_for


class NumberSequence(SQLModel, table=True):
    """The last number handed out by each named sequence."""

    __tablename__ = "kernel_sequence"

    name: str = Field(primary_key=True, max_length=64)
    last_value: int


async def next_number(session: AsyncSession, name: str) -> int:
    """The next number of sequence ``name``; the first is 1."""
    advanced = (
        insert_for(session, NumberSequence)
        .values(name=name, last_value=1)
        .on_conflict_do_update(
            index_elements=[NumberSequence.name],
            set_={"last_value": NumberSequence.last_value + 1},
        )
        .returning(NumberSequence.last_value)
    )
    return await session.scalar(advanced)  # type: ignore[return-value]
