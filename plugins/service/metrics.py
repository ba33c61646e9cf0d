"""Service metrics for a branch (or the bank) over a period of days:

- the open backlog now, by age;
- first-response and resolution times in business minutes (resolution less the
  time spent waiting for the customer), median and 90th percentile (nearest
  rank), of tickets opened (first response) or resolved (resolution) in the period;
- SLA compliance: the share of tickets resolved in the period that met both
  deadlines;
- satisfaction: the average score and the NPS (promoters 9–10 less detractors
  0–6, in percent of answers) of surveys recorded in the period;
- complaints opened in the period per 10,000 of the branch's active customers.

Counting is done by the database; only the two timestamps per ticket that
durations need are read, for the period asked.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from plugins.customer.models import Customer, CustomerStatus
from plugins.service.calendar import ServiceCalendar, service_calendar
from plugins.service.models import Survey, Ticket, TicketKind, TicketStatus

BACKLOG_BUCKETS = (
    ("UNDER_1_DAY", timedelta(0), timedelta(days=1)),
    ("1_TO_3_DAYS", timedelta(days=1), timedelta(days=3)),
    ("3_TO_7_DAYS", timedelta(days=3), timedelta(days=7)),
    ("7_DAYS_OR_MORE", timedelta(days=7), None),
)


@dataclass(frozen=True)
class Durations:
    count: int
    median_minutes: float | None
    p90_minutes: float | None

    @classmethod
    def of(cls, minutes: Sequence[float]) -> Durations:
        if not minutes:
            return cls(0, None, None)
        ordered = sorted(minutes)
        rank = math.ceil(0.9 * len(ordered)) - 1
        return cls(len(ordered), float(statistics.median(ordered)), float(ordered[rank]))


@dataclass(frozen=True)
class ServiceMetrics:
    period_from: date
    period_to: date
    backlog: dict[str, int]
    first_response: Durations
    resolution: Durations
    resolved: int
    sla_met: int
    surveys: int
    satisfaction_average: Decimal | None
    nps: Decimal | None
    complaints: int
    customers: int

    @property
    def sla_compliance(self) -> Decimal | None:
        return _percent(self.sla_met, self.resolved)

    @property
    def complaints_per_10k_customers(self) -> Decimal | None:
        if not self.customers:
            return None
        return _rounded(Decimal(self.complaints * 10_000) / self.customers)


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _percent(part: int, whole: int) -> Decimal | None:
    return _rounded(Decimal(part * 100) / whole) if whole else None


async def service_metrics(
    session: AsyncSession,
    settings: Settings,
    branch_id: int | None,
    period_from: date,
    period_to: date,
    now: datetime,
) -> ServiceMetrics:
    zone = settings.zone
    start = datetime.combine(period_from, time(0), zone)
    end = datetime.combine(period_to + timedelta(days=1), time(0), zone)
    calendar = await service_calendar(session, zone)
    of_branch: ColumnElement[bool] = (
        true() if branch_id is None else Ticket.queue_branch_id == branch_id
    )

    def within(column: Any) -> ColumnElement[bool]:
        return (column >= start) & (column < end)

    open_ages = await session.scalars(
        select(Ticket.created_at).where(
            of_branch,
            Ticket.status.not_in([TicketStatus.RESOLVED, TicketStatus.CLOSED]),  # type: ignore[attr-defined]
        )
    )
    backlog = {name: 0 for name, *_ in BACKLOG_BUCKETS}
    for created_at in open_ages:
        age = now - created_at
        for name, low, high in BACKLOG_BUCKETS:
            if age >= low and (high is None or age < high):
                backlog[name] += 1
    responses = await session.execute(
        select(Ticket.created_at, Ticket.first_responded_at).where(
            of_branch,
            within(Ticket.created_at),
            Ticket.first_responded_at.is_not(None),  # type: ignore[union-attr]
        )
    )
    resolutions = list(
        await session.execute(
            select(
                Ticket.created_at,
                Ticket.resolved_at,
                Ticket.waited_minutes,
                Ticket.first_responded_at <= Ticket.response_due_at,
                Ticket.resolved_at <= Ticket.resolution_due_at,  # type: ignore[operator]
            ).where(of_branch, within(Ticket.resolved_at))
        )
    )
    surveyed = (
        await session.execute(
            select(
                func.count(),
                func.avg(Survey.satisfaction),
                func.sum(case((Survey.recommend >= 9, 1), else_=0)),
                func.sum(case((Survey.recommend <= 6, 1), else_=0)),
            )
            .join(Ticket, Ticket.id == Survey.ticket_id)
            .where(of_branch, within(Survey.recorded_at))
        )
    ).one()
    complaints = await session.scalar(
        select(func.count()).where(
            of_branch, Ticket.kind == TicketKind.COMPLAINT, within(Ticket.created_at)
        )
    )
    customers = await session.scalar(
        select(func.count())
        .select_from(Customer)
        .where(
            Customer.status == CustomerStatus.ACTIVE,
            true() if branch_id is None else Customer.branch_id == branch_id,
        )
    )
    surveys, average, promoters, detractors = surveyed
    return ServiceMetrics(
        period_from=period_from,
        period_to=period_to,
        backlog=backlog,
        first_response=Durations.of([_minutes(calendar, a, b) for a, b in responses]),
        resolution=Durations.of(
            [_minutes(calendar, a, b) - waited for a, b, waited, _, _ in resolutions]
        ),
        resolved=len(resolutions),
        sla_met=sum(1 for *_, answered, resolved in resolutions if answered and resolved),
        surveys=surveys,
        satisfaction_average=_rounded(Decimal(str(average))) if surveys else None,
        nps=_percent((promoters or 0) - (detractors or 0), surveys),
        complaints=complaints or 0,
        customers=customers or 0,
    )


def _minutes(calendar: ServiceCalendar, start: datetime, end: datetime) -> float:
    return calendar.between(start, end).total_seconds() / 60
