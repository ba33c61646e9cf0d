"""Recording what reconciliation finds, set-based and without duplicates.

Every check is a SELECT of candidate rows labelled as exception columns (at
least ``subject``). :func:`record` counts them and, when there are any,
writes them in two statements, whatever their number: it moves
``last_seen_on`` of the ones already being worked, and inserts the rest (a
check that finds nothing, the usual case, costs one statement, not three).
So a break found again tomorrow stays one exception, an anomaly of a new day
is a new one, and running a day twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    String,
    cast,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from core.columns import UTCDateTime, utcnow
from plugins.finance.reconciliation.models import (
    ExceptionKind,
    ExceptionStatus,
    ReconciliationException,
)


@dataclass(frozen=True)
class Found:
    """What one check found: how many in all, and how many were new."""

    kind: ExceptionKind
    total: int
    new: int


def subject(prefix: str, column: Any) -> ColumnElement[str]:
    """``prefix`` and a column's value as one string, in SQL: ``account:42``."""
    return (literal(prefix, String) + cast(column, String)).label("subject")


async def record(
    session: AsyncSession, kind: ExceptionKind, day: date, candidates: Select[Any]
) -> Found:
    found = candidates.subquery()
    total = await session.scalar(select(func.count()).select_from(found)) or 0
    if not total:
        return Found(kind, 0, 0)
    await session.execute(
        update(ReconciliationException)
        .where(
            ReconciliationException.kind == kind,
            ReconciliationException.status != ExceptionStatus.RESOLVED,
            ReconciliationException.subject.in_(select(found.c.subject)),  # type: ignore[attr-defined]
            ReconciliationException.last_seen_on < day,
        )
        .values(last_seen_on=day)
    )
    known = exists().where(
        ReconciliationException.kind == kind,
        ReconciliationException.subject == found.c.subject,
        or_(
            ReconciliationException.status != ExceptionStatus.RESOLVED,
            ReconciliationException.found_on == day,
        ),
    )
    columns = [column.name for column in found.c]
    stamp = [
        literal(kind.value, String).label("kind"),
        literal(day, Date).label("found_on"),
        literal(day, Date).label("last_seen_on"),
        literal(ExceptionStatus.OPEN.value, String).label("status"),
        literal(utcnow(), UTCDateTime).label("created_at"),
    ]
    added = await session.execute(
        insert(ReconciliationException).from_select(
            [*columns, "kind", "found_on", "last_seen_on", "status", "created_at"],
            select(*found.c, *stamp).where(~known),
        )
    )
    return Found(kind, total, added.rowcount)  # type: ignore[attr-defined]
