"""Batch loads for reconciliation's types, within the viewer's scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from core.context import Context
from core.loaders import all_per_key, one_per_key
from plugins.finance.reconciliation.models import (
    ClearingStatement,
    ExceptionNote,
    ReconciliationException,
)
from plugins.finance.reconciliation.scope import exceptions_in_scope


async def exceptions_by_id(
    context: Context, ids: Sequence[int | None]
) -> list[ReconciliationException | None]:
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(ReconciliationException).where(
            ReconciliationException.id.in_(wanted),  # type: ignore[union-attr]
            exceptions_in_scope(context.user),
        )
    )
    return one_per_key(ids, rows, lambda row: row.id)  # type: ignore[arg-type, return-value]


async def notes_by_exception(context: Context, ids: Sequence[int]) -> list[list[ExceptionNote]]:
    rows = await context.session.scalars(
        select(ExceptionNote)
        .where(ExceptionNote.exception_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(ExceptionNote.id)
    )
    return all_per_key(ids, rows, lambda note: note.exception_id)


async def statements_by_date(
    context: Context, dates: Sequence[date]
) -> list[ClearingStatement | None]:
    rows = await context.session.scalars(
        select(ClearingStatement).where(ClearingStatement.business_date.in_(dates))  # type: ignore[attr-defined]
    )
    return one_per_key(dates, rows, lambda statement: statement.business_date)
