"""A day's reconciliation: the books checked, the day's movements screened.

Run by the end-of-day batch for the date it closes, and by ``crm reconcile``
or ``runReconciliation`` for any date again; running twice records nothing twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from plugins.finance.reconciliation.anomalies import flag_anomalies
from plugins.finance.reconciliation.books import check_books
from plugins.finance.reconciliation.exceptions import Found

Stage = Callable[[AsyncSession, date], Awaitable[list[Found]]]
STAGES: tuple[tuple[str, Stage], ...] = (("books", check_books), ("anomalies", flag_anomalies))


async def reconcile_day(
    session: AsyncSession, day: date, on_stage: Callable[[str], None] | None = None
) -> list[Found]:
    found: list[Found] = []
    for name, stage in STAGES:
        if on_stage is not None:
            on_stage(name)
        found += await stage(session, day)
    return found


def summary(found: list[Found]) -> str:
    """One line for the end-of-day report: what was found, by kind."""
    parts = [f"{f.kind.value} {f.total} ({f.new} new)" for f in found if f.total]
    return "; ".join(parts) if parts else "no exceptions"
