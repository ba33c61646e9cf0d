"""Satisfaction surveys on closed tickets. A low score gets the customer's
relationship manager (or, without one, whoever recorded it) a follow-up task
through the customer plugin, due the next working day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.errors import BusinessError
from core.settings import Settings
from core.validation import clean_text
from plugins.customer.contacts import schedule_follow_up, staff_who_can_reach
from plugins.customer.models import Customer, CustomerStatus
from plugins.service.calendar import service_calendar
from plugins.service.models import TEXT_MAX, Survey, Ticket, TicketStatus
from plugins.service.settings import service_settings
from plugins.service.tickets import ticket_for_update


async def record_survey(
    session: AsyncSession,
    settings: Settings,
    by: Principal,
    ticket_id: int | None,
    satisfaction: int,
    recommend: int,
    comment: str | None,
) -> Survey:
    ticket = await ticket_for_update(session, by, ticket_id)
    if ticket.status is not TicketStatus.CLOSED:
        raise BusinessError(
            "TICKET_NOT_CLOSED",
            "A survey is taken once the ticket is closed.",
            ["input", "ticketId"],
        )
    if await session.get(Survey, ticket.id) is not None:
        raise BusinessError(
            "SURVEY_ALREADY_RECORDED",
            "The ticket's survey is already recorded.",
            ["input", "ticketId"],
        )
    if not 1 <= satisfaction <= 5:
        raise BusinessError(
            "INVALID_SCORE", "Satisfaction is from 1 to 5.", ["input", "satisfaction"]
        )
    if not 0 <= recommend <= 10:
        raise BusinessError(
            "INVALID_SCORE", "Likelihood to recommend is from 0 to 10.", ["input", "recommend"]
        )
    survey = Survey(
        ticket_id=ticket.id,  # type: ignore[arg-type]
        satisfaction=satisfaction,
        recommend=recommend,
        comment=clean_text(
            comment or "", field=["input", "comment"], max_length=TEXT_MAX, required=False
        )
        or None,
        recorded_by=by.user_id,
    )
    session.add(survey)
    if satisfaction <= service_settings().low_satisfaction:
        await _follow_up(session, settings, by, ticket, satisfaction)
    await session.flush()
    return survey


async def _follow_up(
    session: AsyncSession, settings: Settings, by: Principal, ticket: Ticket, satisfaction: int
) -> None:
    """A task for the customer's relationship manager (or, failing one who can
    take it, whoever recorded the survey), due the next working day; none for
    a customer closed since, whom nobody will call."""
    customer = await session.get_one(Customer, ticket.customer_id)
    if customer.status is not CustomerStatus.ACTIVE:
        return
    calendar = await service_calendar(session, settings.zone)
    today = settings.today()
    next_working_day = next(
        day
        for day in (today + timedelta(days=n) for n in range(1, 366))
        if calendar.is_working_day(day)
    )
    manager = customer.relationship_manager_id
    if manager is not None and not await _can_take(session, customer, manager):
        manager = None
    await schedule_follow_up(
        session,
        customer,
        title=f"客户满意度低 ({satisfaction}/5): 回访工单 {ticket.ticket_no}",
        due_on=next_working_day,
        assignee_id=manager,
        by=by,
        today=today,
    )


async def _can_take(session: AsyncSession, customer: Customer, user_id: int) -> bool:
    """Whether the relationship manager can still be given the task (active, in reach)."""
    try:
        await staff_who_can_reach(session, customer, user_id)
    except BusinessError:
        return False
    return True
