"""The SLA matrix and the service calendar in GraphQL: anyone who works
tickets reads them; head office changes them."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from core.context import Context
from core.graphql import UserError, mutation, query
from plugins.customer.models import CustomerTier
from plugins.service import configuration, models
from plugins.service.models import TicketKind, TicketPriority
from plugins.service.permissions import SERVICE_CONFIGURE, TICKET_READ


@strawberry.type(description="One cell of the SLA matrix, in business minutes.")
class SlaPolicy:
    kind: TicketKind
    priority: TicketPriority
    tier: CustomerTier
    response_minutes: int
    resolution_minutes: int


@strawberry.type(description="A holiday, or a weekend day worked instead (调休).")
class ServiceCalendarDay:
    day: date
    working: bool
    name: str


@strawberry.type
class ConfigurationQuery:
    @query(permission=TICKET_READ)
    async def sla_policies(self, info: Info) -> list[SlaPolicy]:
        """The whole SLA matrix."""
        context: Context = info.context
        rows = await context.session.scalars(
            select(models.SlaPolicy).order_by(
                models.SlaPolicy.kind, models.SlaPolicy.priority, models.SlaPolicy.tier
            )
        )
        return list(rows)  # type: ignore[arg-type]

    @query(permission=TICKET_READ)
    async def service_calendar(self, info: Info, year: int) -> list[ServiceCalendarDay]:
        """The holidays and worked weekend days of a year."""
        context: Context = info.context
        if not date.min.year <= year <= date.max.year:
            return []
        rows = await context.session.scalars(
            select(models.CalendarDay)
            .where(
                models.CalendarDay.day >= date(year, 1, 1),
                models.CalendarDay.day <= date(year, 12, 31),
            )
            .order_by(models.CalendarDay.day)
        )
        return list(rows)  # type: ignore[arg-type]


@strawberry.input
class SetSlaPolicyInput:
    kind: TicketKind
    priority: TicketPriority
    tier: CustomerTier
    response_minutes: int
    resolution_minutes: int


@strawberry.type
class SlaPolicyPayload:
    policy: SlaPolicy | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class SetServiceCalendarDayInput:
    day: date
    working: bool = strawberry.field(description="False: a holiday; true: a worked weekend day.")
    name: str = strawberry.field(description="e.g. 国庆节, 国庆节调休.")


@strawberry.type
class ServiceCalendarDayPayload:
    day: ServiceCalendarDay | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ConfigurationMutation:
    @mutation(permission=SERVICE_CONFIGURE)
    async def set_sla_policy(self, info: Info, input: SetSlaPolicyInput) -> SlaPolicyPayload:
        """Change one cell of the SLA matrix; tickets already open keep their deadlines."""
        policy = await configuration.set_sla_policy(
            info.context.session,
            input.kind,
            input.priority,
            input.tier,
            input.response_minutes,
            input.resolution_minutes,
        )
        return SlaPolicyPayload(policy=policy)  # type: ignore[arg-type]

    @mutation(permission=SERVICE_CONFIGURE)
    async def set_service_calendar_day(
        self, info: Info, input: SetServiceCalendarDayInput
    ) -> ServiceCalendarDayPayload:
        """Make a day a holiday or a worked day for the service clock."""
        entry = await configuration.set_calendar_day(
            info.context.session, input.day, input.working, input.name
        )
        return ServiceCalendarDayPayload(day=entry)  # type: ignore[arg-type]
