"""Registering a customer: identity checks, one customer per identity, a number,
and who looks after them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal, Role
from core.db import flush_or_refuse
from core.errors import BusinessError
from core.validation import clean_text
from plugins.customer.contact_details import contact_details
from plugins.customer.identity import (
    Gender,
    InvalidIdentity,
    parse_resident_id,
    parse_social_credit_code,
)
from plugins.customer.managers import record_assignment
from plugins.customer.models import NAME_MAX, BranchPolicy, Customer, CustomerKind, CustomerStatus
from plugins.customer.numbers import next_customer_no
from plugins.security.models import User, UserRole
from plugins.security.services import branch_by_code


@dataclass(frozen=True)
class Registration:
    kind: CustomerKind
    name: str
    id_number: str
    branch_code: str
    phone: str | None = None
    email: str | None = None


async def register_customer(
    session: AsyncSession, principal: Principal, registration: Registration, today: date
) -> Customer:
    """Register a new customer, refusing a second registration of one identity."""
    name = clean_text(registration.name, field=["input", "name"], max_length=NAME_MAX)
    identity = _identity(registration.kind, registration.id_number, today)
    phone, email = contact_details(registration.phone, registration.email)

    branch = await branch_by_code(session, registration.branch_code)
    scope = principal.scope
    if branch is None or (scope.branch_id is not None and branch.id != scope.branch_id):
        raise BusinessError(
            "NOT_FOUND",
            f"There is no branch {registration.branch_code.strip()} you may register customers in.",
            ["input", "branchCode"],
        )

    existing = await session.scalar(
        select(Customer.customer_no).where(Customer.id_number == identity.number)
    )
    if existing is not None:
        raise _duplicate(existing)

    customer = Customer(
        customer_no=await next_customer_no(session),
        kind=registration.kind,
        name=name,
        id_number=identity.number,
        birth_date=identity.birth_date,
        gender=identity.gender,
        phone=phone,
        email=email,
        branch_id=branch.id,  # type: ignore[arg-type]
    )
    session.add(customer)
    await flush_or_refuse(session, _duplicate(None))
    manager_id = await _first_manager(session, principal, customer.branch_id)
    if manager_id is not None:
        customer.relationship_manager_id = manager_id
        await record_assignment(
            session, customer, manager_id, "Assigned at registration.", principal.user_id
        )
    return customer


def _duplicate(customer_no: str | None) -> BusinessError:
    message = (
        f"This identity is already registered as customer {customer_no}."
        if customer_no
        else "This identity has just been registered by someone else."
    )
    return BusinessError("DUPLICATE_CUSTOMER", message, ["input", "idNumber"])


@dataclass(frozen=True)
class Identity:
    number: str
    birth_date: date | None = None
    gender: Gender | None = None


def _identity(kind: CustomerKind, id_number: str, today: date) -> Identity:
    """A resident ID for a person (with the birth date and gender it encodes),
    a unified social credit code for a company."""
    try:
        if kind is CustomerKind.INDIVIDUAL:
            resident = parse_resident_id(id_number, today)
            return Identity(resident.number, resident.birth_date, resident.gender)
        return Identity(parse_social_credit_code(id_number).code)
    except InvalidIdentity as error:
        raise BusinessError("INVALID_ID_NUMBER", str(error), ["input", "idNumber"]) from None


async def _first_manager(session: AsyncSession, principal: Principal, branch_id: int) -> int | None:
    """Who manages a new customer: the relationship manager who registers them;
    else, where the branch asks for it, its least-loaded relationship manager."""
    if Role.RELATIONSHIP_MANAGER in principal.roles and principal.branch_id == branch_id:
        return principal.user_id
    policy = await session.get(BranchPolicy, branch_id)
    if policy is None or not policy.auto_assign_managers:
        return None
    load = (
        select(func.count(Customer.id))
        .where(
            Customer.relationship_manager_id == User.id,
            Customer.status == CustomerStatus.ACTIVE,
        )
        .scalar_subquery()
    )
    return await session.scalar(
        select(User.id)
        .join(UserRole, UserRole.user_id == User.id)  # type: ignore[arg-type]
        .where(
            User.branch_id == branch_id,
            User.is_active.is_(True),  # type: ignore[attr-defined]
            UserRole.role == Role.RELATIONSHIP_MANAGER,
        )
        .order_by(load, User.id)
        .limit(1)
    )
