"""Locking the one row a mutation changes."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

Row = TypeVar("Row")


async def locked_row(
    session: AsyncSession, model: type[Row], key: int | None, *conditions: Any
) -> Row | None:
    """The row of ``model`` whose id is ``key`` and that meets ``conditions`` (the
    caller's data scope, say), locked until the transaction ends
    (``SELECT … FOR UPDATE``; on SQLite the write transaction already holds the
    database), or None if there is none.

    The row is read afresh even if the session already holds it: the session's
    copy may predate the lock, and a change decided on it would undo what
    another transaction committed meanwhile (a lost update)."""
    return await session.scalar(
        select(model)
        .where(model.id == key, *conditions)  # type: ignore[attr-defined]
        .with_for_update()
        .execution_options(populate_existing=True)
    )
