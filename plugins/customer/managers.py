"""Relationship managers (客户经理制): assigning, handing over a portfolio, sharing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Role
from core.columns import utcnow
from core.errors import BusinessError
from core.validation import clean_text
from plugins.customer.models import (
    TEXT_MAX,
    Customer,
    CustomerShare,
    CustomerStatus,
    FollowUp,
    FollowUpStatus,
    ManagerAssignment,
)
from plugins.security.models import User
from plugins.security.services import roles_of

MAX_SHARE_DAYS = 90


async def record_assignment(
    session: AsyncSession,
    customer: Customer,
    manager_id: int | None,
    reason: str,
    assigned_by_id: int | None,
    previous_manager_id: int | None = None,
) -> None:
    session.add(
        ManagerAssignment(
            customer_id=customer.id,  # type: ignore[arg-type]
            manager_id=manager_id,
            previous_manager_id=previous_manager_id,
            reason=reason,
            assigned_by_id=assigned_by_id,
        )
    )


async def eligible_manager(
    session: AsyncSession, user_id: int | None, branch_id: int, field: list[str]
) -> User:
    """The active relationship manager of ``branch_id`` that ``user_id`` names."""
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None or not user.is_active:
        raise BusinessError("NOT_FOUND", "There is no such member of staff.", field)
    if Role.RELATIONSHIP_MANAGER not in (await roles_of(session, [user.id]))[user.id]:  # type: ignore[index, list-item]
        raise BusinessError(
            "NOT_A_RELATIONSHIP_MANAGER",
            f"{user.display_name} is not a relationship manager.",
            field,
        )
    if user.branch_id != branch_id:
        raise BusinessError(
            "MANAGER_OF_ANOTHER_BRANCH",
            f"{user.display_name} works in another branch than the customer's.",
            field,
        )
    return user


async def assign_manager(
    session: AsyncSession, customer: Customer, manager_id: int, reason: str, by_id: int
) -> Customer:
    """Make ``manager_id`` the customer's relationship manager, keeping the history."""
    reason = clean_text(reason, field=["input", "reason"], max_length=TEXT_MAX)
    if customer.status is CustomerStatus.CLOSED:
        raise BusinessError("CUSTOMER_CLOSED", "The customer is closed.", ["input", "customerId"])
    manager = await eligible_manager(session, manager_id, customer.branch_id, ["input", "userId"])
    if customer.relationship_manager_id == manager.id:
        return customer
    previous = customer.relationship_manager_id
    customer.relationship_manager_id = manager.id
    session.add(customer)
    await record_assignment(session, customer, manager.id, reason, by_id, previous)
    return customer


async def hand_over_portfolio(
    session: AsyncSession,
    from_id: int,
    to_id: int | None,
    branch_id: int | None,
    reason: str,
    by_id: int,
) -> int:
    """Give every active customer of one manager to another (a manager leaves), with
    the leaving manager's open follow-ups on them; returns how many customers moved.
    ``branch_id`` limits it to one branch's customers."""
    reason = clean_text(reason, field=["input", "reason"], max_length=TEXT_MAX)
    leaving = await session.get(User, from_id)
    if leaving is None:
        raise BusinessError(
            "NOT_FOUND", "There is no such member of staff.", ["input", "fromUserId"]
        )
    taking_over = await eligible_manager(
        session, to_id, leaving.branch_id or 0, ["input", "toUserId"]
    )
    selected = select(Customer.id).where(
        Customer.relationship_manager_id == from_id, Customer.status == CustomerStatus.ACTIVE
    )
    if branch_id is not None:
        selected = selected.where(Customer.branch_id == branch_id)
    ids = list(await session.scalars(selected))
    if not ids:
        return 0
    await session.execute(
        update(Customer)
        .where(Customer.id.in_(ids))  # type: ignore[union-attr]
        .values(relationship_manager_id=taking_over.id)
    )
    await session.execute(  # the leaving manager's open work on them goes along
        update(FollowUp)
        .where(
            FollowUp.customer_id.in_(ids),  # type: ignore[attr-defined]
            FollowUp.assignee_id == from_id,
            FollowUp.status == FollowUpStatus.OPEN,
        )
        .values(assignee_id=taking_over.id)
    )
    session.add_all(
        ManagerAssignment(
            customer_id=customer_id,
            manager_id=taking_over.id,
            previous_manager_id=from_id,
            reason=reason,
            assigned_by_id=by_id,
        )
        for customer_id in ids
    )
    return len(ids)


async def share_customer(
    session: AsyncSession, customer: Customer, with_id: int, days: int, reason: str, by_id: int
) -> CustomerShare:
    """Let a colleague (or a specialist) see and work a customer for ``days`` days."""
    reason = clean_text(reason, field=["input", "reason"], max_length=TEXT_MAX)
    if not 1 <= days <= MAX_SHARE_DAYS:
        raise BusinessError(
            "INVALID_DAYS", f"Share for 1 to {MAX_SHARE_DAYS} days.", ["input", "days"]
        )
    colleague = await session.get(User, with_id)
    if colleague is None or not colleague.is_active:
        raise BusinessError("NOT_FOUND", "There is no such member of staff.", ["input", "userId"])
    share = CustomerShare(
        customer_id=customer.id,  # type: ignore[arg-type]
        shared_with_id=with_id,
        shared_by_id=by_id,
        reason=reason,
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(share)
    await session.flush()
    return share


async def end_share(session: AsyncSession, share_id: int) -> CustomerShare:
    share = await session.get(CustomerShare, share_id)
    if share is None or share.revoked_at is not None:
        raise BusinessError("NOT_FOUND", "There is no such share.", ["input", "shareId"])
    share.revoked_at = utcnow()
    session.add(share)
    return share
