"""Service metrics in GraphQL, for a branch or (head office) the bank."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from core.columns import utcnow
from core.context import Context
from core.errors import RequestError
from core.graphql import query
from plugins.security.models import Branch
from plugins.service import metrics
from plugins.service.permissions import SERVICE_METRICS

LONGEST_PERIOD_DAYS = 366
EARLIEST = date(1900, 1, 1)
LATEST = date(9998, 12, 31)
"""Periods are counted in moments from the bank's midnights: a day at the very
edge of the calendar (0001-01-01, 9999-12-31) has no midnight in UTC or no next one."""


@strawberry.type(description="Open tickets of one age band.")
class BacklogBand:
    age: str = strawberry.field(
        description="UNDER_1_DAY, 1_TO_3_DAYS, 3_TO_7_DAYS or 7_DAYS_OR_MORE."
    )
    tickets: int


@strawberry.type(description="Durations in business minutes.")
class Durations:
    count: int
    median_minutes: float | None
    p90_minutes: float | None = strawberry.field(description="90th percentile, nearest rank.")


@strawberry.type(description="How the service did over a period (both dates included).")
class ServiceMetrics:
    period_from: date
    period_to: date
    branch_code: str | None = strawberry.field(description="Null: the whole bank.")
    backlog: list[BacklogBand] = strawberry.field(description="Open tickets now, by age.")
    first_response: Durations = strawberry.field(description="Of tickets opened in the period.")
    resolution: Durations = strawberry.field(
        description="Of tickets resolved in the period, less time waiting for the customer."
    )
    sla_compliance: Decimal | None = strawberry.field(
        description="Percent of tickets resolved in the period that met both deadlines."
    )
    surveys: int
    satisfaction_average: Decimal | None = strawberry.field(description="1 to 5.")
    nps: Decimal | None = strawberry.field(
        description="Net promoter score: percent promoters (9–10) less percent detractors (0–6)."
    )
    complaints: int
    complaints_per_10k_customers: Decimal | None


@strawberry.type
class MetricsQuery:
    @query(permission=SERVICE_METRICS)
    async def service_metrics(
        self,
        info: Info,
        period_from: date,
        period_to: date,
        branch_code: str | None = None,
    ) -> ServiceMetrics:
        """Service metrics of a branch (yours, unless you are head office) or the bank."""
        context: Context = info.context
        if (
            period_to < period_from
            or (period_to - period_from).days >= LONGEST_PERIOD_DAYS
            or not EARLIEST <= period_from <= period_to <= LATEST
        ):
            raise RequestError(
                f"The period must end after it starts, cover at most {LONGEST_PERIOD_DAYS} "
                f"days and lie between {EARLIEST} and {LATEST}.",
                "INVALID_PERIOD",
            )
        own = context.user.scope.branch_id
        branch = None
        if branch_code is not None:
            branch = await context.session.scalar(
                select(Branch).where(Branch.code == branch_code.strip().upper())
            )
            if branch is None or (own is not None and branch.id != own):
                raise RequestError("There is no such branch in your scope.", "NOT_FOUND")
        elif own is not None:
            branch = await context.session.get(Branch, own)
        found = await metrics.service_metrics(
            context.session,
            context.runtime.settings,
            branch.id if branch is not None else None,
            period_from,
            period_to,
            utcnow(),
        )
        return ServiceMetrics(
            period_from=found.period_from,
            period_to=found.period_to,
            branch_code=branch.code if branch is not None else None,
            backlog=[BacklogBand(age=age, tickets=n) for age, n in found.backlog.items()],
            first_response=Durations(**vars(found.first_response)),
            resolution=Durations(**vars(found.resolution)),
            sla_compliance=found.sla_compliance,
            surveys=found.surveys,
            satisfaction_average=found.satisfaction_average,
            nps=found.nps,
            complaints=found.complaints,
            complaints_per_10k_customers=found.complaints_per_10k_customers,
        )
