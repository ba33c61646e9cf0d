"""The end-of-day batch (日终批处理): closing business dates, in order, exactly once.

Plugins contribute steps through ``crm_end_of_day_steps``. Closing a date runs
every step in one write transaction that holds the business date exclusively
(``core.business_day``), then opens the next date and records the closing. So:

- a date is closed exactly once: a second run finds it already closed, and two
  runs at once queue on the calendar row;
- a crash half-way leaves the date either fully processed or not at all;
- no posting lands between a step that reads balances and one that pays on them.

Steps run in phases: :attr:`Phase.POSTINGS` (money moves: maturities,
interest, loan collections), then :attr:`Phase.REVIEWS` (work that reads the
day's final figures: tiers, SLA escalation); within a phase, in plugin
dependency order, then in the order a plugin lists them. :attr:`Phase.DISPATCH`
steps (sending what the day queued to the outside world) run once the date is
committed, outside its transaction: a slow or unreachable gateway can neither
hold the day's locks nor undo its closing.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Column, Text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from core.business_day import hold_business_date, move_business_date
from core.columns import UTCDateTime, utcnow
from core.db import Mode
from core.errors import ConfigurationError

if TYPE_CHECKING:
    from core.runtime import Runtime


class Phase(enum.IntEnum):
    POSTINGS = 1
    """Steps that move money."""
    REVIEWS = 2
    """Steps that read what the day's postings left."""
    DISPATCH = 3
    """Steps that talk to the outside world, after the date is committed. Their
    ``session`` is in no transaction: they commit their work in parts, as they go."""


@dataclass(frozen=True)
class ClosingDay:
    """What a step gets: the date being closed, in the batch's transaction."""

    business_date: date
    session: AsyncSession
    runtime: Runtime


@dataclass(frozen=True)
class EndOfDayStep:
    """One piece of end-of-day work; ``run`` returns a line for the report."""

    name: str
    run: Callable[[ClosingDay], Awaitable[str]]
    phase: Phase = Phase.POSTINGS


class EndOfDayRun(SQLModel, table=True):
    """A closed business date and what its batch reported."""

    __tablename__ = "kernel_end_of_day"

    business_date: date = Field(primary_key=True)
    closed_at: datetime = Field(sa_type=UTCDateTime)
    report: str = Field(sa_column=Column(Text, nullable=False))


@dataclass
class DayClosed:
    business_date: date
    report: dict[str, str] = field(default_factory=dict)


def steps_of(runtime: Runtime) -> list[EndOfDayStep]:
    """Every enabled plugin's steps, in the order they run."""
    steps = [
        (step.phase, position, step)
        for position, (_, answer) in enumerate(runtime.plugins.each("crm_end_of_day_steps"))
        for step in answer
    ]
    names = [step.name for _, _, step in steps]
    if duplicated := sorted({name for name in names if names.count(name) > 1}):
        raise ConfigurationError(f"two end-of-day steps are named {duplicated[0]!r}")
    return [step for _, _, step in sorted(steps, key=lambda item: (item[0], item[1]))]


async def close_business_day(
    runtime: Runtime,
    *,
    before: date | None = None,
    on_step: Callable[[date, EndOfDayStep], None] | None = None,
) -> DayClosed | None:
    """Close the open business date and open the next one; with ``before``, only
    if the open date is earlier (else nothing is done and None returned)."""
    async with runtime.database.transaction(Mode.WRITE) as session:
        today = await hold_business_date(session, runtime.settings, exclusive=True)
        if before is not None and today >= before:
            return None
        closed = DayClosed(today)
        steps = steps_of(runtime)
        for step in (step for step in steps if step.phase is not Phase.DISPATCH):
            if on_step is not None:
                on_step(today, step)
            closed.report[step.name] = await step.run(ClosingDay(today, session, runtime))
        session.add(
            EndOfDayRun(
                business_date=today,
                closed_at=utcnow(),
                report=json.dumps(closed.report, ensure_ascii=False),
            )
        )
        await move_business_date(session, today + timedelta(days=1))
    if dispatch := [step for step in steps if step.phase is Phase.DISPATCH]:
        await _dispatch(runtime, closed, dispatch, on_step)
    return closed


async def _dispatch(
    runtime: Runtime,
    closed: DayClosed,
    steps: list[EndOfDayStep],
    on_step: Callable[[date, EndOfDayStep], None] | None,
) -> None:
    """Run the closed date's DISPATCH steps and add their lines to its report."""
    async with runtime.database.session(Mode.WRITE) as session:
        for step in steps:
            if on_step is not None:
                on_step(closed.business_date, step)
            day = ClosingDay(closed.business_date, session, runtime)
            closed.report[step.name] = await step.run(day)
    async with runtime.database.transaction(Mode.WRITE) as session:
        run = await session.get_one(EndOfDayRun, closed.business_date)
        run.report = json.dumps(closed.report, ensure_ascii=False)


async def close_business_days(
    runtime: Runtime,
    until: date,
    on_step: Callable[[date, EndOfDayStep], None] | None = None,
) -> list[DayClosed]:
    """Close dates in order until ``until`` is the open one (already past it: nothing)."""
    closed = []
    while (day := await close_business_day(runtime, before=until, on_step=on_step)) is not None:
        closed.append(day)
    return closed
