"""Contact history and follow-up (沟通, 引导跟进): recording a contact with a
customer, and the tasks staff set themselves and each other to follow one up."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.columns import utcnow
from core.errors import BusinessError
from core.validation import clean_text
from plugins.customer.models import (
    TEXT_MAX,
    ContactChannel,
    ContactDirection,
    Customer,
    CustomerStatus,
    FollowUp,
    FollowUpStatus,
    Interaction,
)
from plugins.customer.scope import can_reach, shared_with
from plugins.security.models import User
from plugins.security.services import roles_of

TITLE_MAX = 200
CLOCK_SLACK = timedelta(minutes=5)
"""How far in the future a contact may be said to have happened: clocks differ."""


def _moment(value: datetime, zone: ZoneInfo) -> datetime:
    """A time-zone aware moment; a time given without a zone is the bank's."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


async def record_interaction(
    session: AsyncSession,
    customer: Customer,
    *,
    staff_id: int,
    channel: ContactChannel,
    direction: ContactDirection,
    summary: str,
    occurred_at: datetime | None,
    zone: ZoneInfo,
) -> Interaction:
    """Record a contact with ``customer`` made or taken by ``staff_id``; it happened
    at ``occurred_at`` (default: now), which may not be in the future."""
    summary = clean_text(summary, field=["input", "summary"], max_length=TEXT_MAX)
    now = utcnow()
    moment = _moment(occurred_at, zone) if occurred_at is not None else now
    if moment > now + CLOCK_SLACK:
        raise BusinessError(
            "OCCURRED_IN_FUTURE",
            "A contact cannot be recorded before it happens.",
            ["input", "occurredAt"],
        )
    interaction = Interaction(
        customer_id=customer.id,  # type: ignore[arg-type]
        channel=channel,
        direction=direction,
        summary=summary,
        staff_id=staff_id,
        occurred_at=moment,
    )
    session.add(interaction)
    await session.flush()
    return interaction


def last_contacts() -> Select[tuple[int, datetime]]:
    """Each contacted customer's last contact, as SQL: ``customer_id`` and
    ``last_contact_at`` (UTC); customers never contacted are not in it. For
    other plugins to find customers by how long ago they were last contacted
    without reading this plugin's tables (one index scan, however many)."""
    return select(
        Interaction.customer_id.label("customer_id"),
        func.max(Interaction.occurred_at).label("last_contact_at"),
    ).group_by(Interaction.customer_id)


async def schedule_follow_up(
    session: AsyncSession,
    customer: Customer,
    *,
    title: str,
    due_on: date,
    assignee_id: int | None,
    by: Principal,
    today: date,
) -> FollowUp:
    """Give ``assignee_id`` (default: the caller) a task for ``customer``, due on ``due_on``.

    The assignee must be active staff who can reach the customer, by the same
    rule that decides what they see; otherwise they could not do the task.
    """
    title = clean_text(title, field=["input", "title"], max_length=TITLE_MAX)
    if customer.status is CustomerStatus.CLOSED:
        raise BusinessError("CUSTOMER_CLOSED", "The customer is closed.", ["input", "customerId"])
    if due_on < today:
        raise BusinessError(
            "DUE_DATE_IN_PAST", "A follow-up cannot be due before today.", ["input", "dueOn"]
        )
    if assignee_id is not None and assignee_id != by.user_id:
        await staff_who_can_reach(session, customer, assignee_id)
    follow_up = FollowUp(
        customer_id=customer.id,  # type: ignore[arg-type]
        assignee_id=assignee_id if assignee_id is not None else by.user_id,
        title=title,
        due_on=due_on,
        created_by_id=by.user_id,
    )
    session.add(follow_up)
    await session.flush()
    return follow_up


async def staff_who_can_reach(session: AsyncSession, customer: Customer, user_id: int) -> User:
    """The active member of staff ``user_id`` names, if the customer is within their reach."""
    user = await session.get(User, user_id)
    if user is not None and user.is_active:
        roles = (await roles_of(session, [user_id]))[user_id]
        principal = Principal(
            user_id=user_id,
            username=user.username,
            roles=frozenset(roles),
            branch_id=user.branch_id,
            permissions=frozenset(),
        )
        shared = await session.scalar(
            select(shared_with(user_id)).where(Customer.id == customer.id)  # type: ignore[arg-type]
        )
        if roles and can_reach(principal, customer, bool(shared)):
            return user
    raise BusinessError(
        "NOT_FOUND",
        "There is no such member of staff who can work this customer.",
        ["input", "assigneeId"],
    )


async def complete_follow_up(
    session: AsyncSession, follow_up: FollowUp, outcome: str | None
) -> FollowUp:
    """Mark an open follow-up done, with what came of it if said."""
    note = (
        clean_text(outcome, field=["input", "outcome"], max_length=TEXT_MAX, required=False)
        if outcome is not None
        else None
    )
    return await _close(session, follow_up, FollowUpStatus.DONE, note or None)


async def cancel_follow_up(session: AsyncSession, follow_up: FollowUp, reason: str) -> FollowUp:
    """Drop an open follow-up that no longer needs doing; a reason is required."""
    note = clean_text(reason, field=["input", "reason"], max_length=TEXT_MAX)
    return await _close(session, follow_up, FollowUpStatus.CANCELLED, note)


async def _close(
    session: AsyncSession, follow_up: FollowUp, status: FollowUpStatus, note: str | None
) -> FollowUp:
    """Close ``follow_up`` if it is still open, also when another request races to
    close it: the update only touches a row that is open."""
    closed = await session.execute(
        update(FollowUp)
        .where(FollowUp.id == follow_up.id, FollowUp.status == FollowUpStatus.OPEN)  # type: ignore[arg-type]
        .values(status=status, completed_at=utcnow(), closing_note=note)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise BusinessError(
            "FOLLOW_UP_NOT_OPEN", "The follow-up is no longer open.", ["input", "followUpId"]
        )
    return follow_up
