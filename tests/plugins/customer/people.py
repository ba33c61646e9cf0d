"""Customers for tests, registered through the real rules, quickly."""

from __future__ import annotations

from datetime import date

from core.authorization import Principal, Role
from core.db import Mode
from core.runtime import Runtime
from plugins.customer.models import Customer, CustomerKind
from plugins.customer.registration import Registration, register_customer
from tests.plugins.customer.conftest import credit_code, resident_id

TODAY = date(2026, 11, 29)
HEAD_OFFICE = Principal(
    user_id=0,
    username="test",
    roles=frozenset({Role.ADMIN}),
    branch_id=None,
    permissions=frozenset(),
)


async def register(
    runtime: Runtime,
    serial: int,
    *,
    name: str | None = None,
    branch: str = "BJ-001",
    kind: CustomerKind = CustomerKind.INDIVIDUAL,
    phone: str | None = None,
) -> Customer:
    """Register customer number ``serial`` (names and identities follow from it)."""
    async with runtime.database.transaction(Mode.WRITE) as session:
        return await register_customer(
            session,
            HEAD_OFFICE,
            Registration(
                kind=kind,
                name=name or f"客户{serial}",
                id_number=resident_id(serial)
                if kind is CustomerKind.INDIVIDUAL
                else credit_code(serial),
                branch_code=branch,
                phone=phone,
            ),
            TODAY,
        )
