"""Shared set-up for the customer plugin's tests: valid identity numbers, a bank of two
branches with one member of staff per role, and customers registered through the API."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import BigInteger, Integer, func, literal, select, union_all, update
from strawberry import relay

from core.authorization import Role
from core.columns import utcnow
from core.db import Mode
from core.hookspecs import hookimpl
from core.money import to_minor_units
from core.runtime import Runtime
from plugins.customer.identity import credit_code_check_character, resident_id_check_character
from plugins.customer.models import Customer, CustomerShare, CustomerTag
from plugins.security.models import User, UserRole
from plugins.security.passwords import hash_password
from tests.conftest import PASSWORD, GraphQLClient, Staff, StatementCounter

BJ = "BJ-001"
SH = "SH-001"

HEAD_OFFICE = {"admin": Role.ADMIN, "auditor": Role.AUDITOR, "marketing": Role.MARKETING}
IN_EACH_BRANCH = {
    "manager": Role.BRANCH_MANAGER,
    "rm": Role.RELATIONSHIP_MANAGER,
    "teller": Role.TELLER,
    "agent": Role.SERVICE_AGENT,
}
"""Staff of branch BJ-001 are ``bj.manager``, ``bj.rm``...; of SH-001 ``sh.manager``..."""


def resident_id(serial: int = 1, born: date = date(1990, 3, 7), region: str = "110101") -> str:
    """A resident ID number that passes every check; an odd ``serial`` is a man's."""
    first_17 = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    return first_17 + resident_id_check_character(first_17)


def credit_code(serial: int = 1, region: str = "110105") -> str:
    """A company's unified social credit code that passes every check."""
    first_17 = f"91{region}{serial:09d}"
    return first_17 + credit_code_check_character(first_17)


CUSTOMER_FIELDS = """
  id customerNo kind name idNumber phone email birthDate gender tier status
  branch { code } relationshipManager { username }
"""
CREATE_CUSTOMER = f"""
mutation($input: CreateCustomerInput!) {{
  createCustomer(input: $input) {{
    customer {{ {CUSTOMER_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""
CUSTOMER = f"query($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"
NODE = (
    f"query($id: ID!) {{ node(id: $id) {{ __typename ... on Customer {{ {CUSTOMER_FIELDS} }} }} }}"
)
CUSTOMERS = """
query($first: Int, $after: String, $filter: CustomerFilter, $orderBy: CustomerOrder) {
  customers(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount
    edges { cursor node { id customerNo name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
ASSIGN = """
mutation($input: AssignRelationshipManagerInput!) {
  assignRelationshipManager(input: $input) {
    customer { customerNo relationshipManager { username } }
    errors { field message code }
  }
}
"""


def customer_input(**changes: Any) -> dict[str, Any]:
    """A valid CreateCustomerInput for a man of Beijing, with ``changes`` applied."""
    return {
        "kind": "INDIVIDUAL",
        "name": "王小明",
        "idNumber": "110101199003071233",
        "phone": "13812345678",
        "email": "xiaoming@example.com",
        "branchCode": BJ,
    } | changes


def global_id(type_name: str, node_id: int | str) -> str:
    return str(relay.GlobalID(type_name, str(node_id)))


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in connection["edges"]]


def codes_and_fields(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


def error_codes(body: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of each GraphQL error in a response body."""
    return [error["extensions"]["code"] for error in body.get("errors", [])]


@pytest.fixture(scope="session")
async def password_hash() -> str:
    """One hash of PASSWORD, shared by every member of staff the tests insert."""
    return await hash_password(PASSWORD)


@dataclass
class Bank:
    """Branches BJ-001 and SH-001, their staff, and a head office; signs staff in
    and registers customers through the API."""

    runtime: Runtime
    client: GraphQLClient
    password_hash: str
    branch_ids: dict[str, int] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    _signed_in: dict[str, GraphQLClient] = field(default_factory=dict)
    _serials: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def add_staff(
        self, username: str, *roles: Role, branch: str | None = None, active: bool = True
    ) -> int:
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            user = User(
                username=username,
                display_name=username,
                password_hash=self.password_hash,
                branch_id=self.branch_ids[branch] if branch else None,
                is_active=active,
            )
            session.add(user)
            await session.flush()
            session.add_all(UserRole(user_id=user.id, role=role) for role in roles)  # type: ignore[arg-type]
        self.user_ids[username] = user.id  # type: ignore[assignment]
        return user.id  # type: ignore[return-value]

    def user(self, username: str) -> str:
        """The member of staff's global ID."""
        return global_id("User", self.user_ids[username])

    async def sign_in(self, username: str) -> GraphQLClient:
        if username not in self._signed_in:
            self._signed_in[username] = await self.client.sign_in(username)
        return self._signed_in[username]

    async def page_cost(
        self, sql: StatementCounter, query: str, first: int, *, of: str = "customers"
    ) -> tuple[int, list[Any]]:
        """The SQL statements a branch manager's page of ``first`` costs (``query``
        asks for the connection ``of`` and takes ``$first``), and the page's edges.
        A page of one is asked for first, so that signing in and the first
        compilations are not counted."""
        caller = await self.sign_in("bj.manager")
        await caller.data(query, {"first": 1})
        sql.reset()
        body = await caller.data(query, {"first": first})
        return sql.count, body[of]["edges"]

    async def register(self, by: str = "admin", **changes: Any) -> dict[str, Any]:
        """Register a customer (a new identity each time unless given); the customer."""
        serial = next(self._serials)
        defaults = {"idNumber": resident_id(serial), "phone": f"139{serial:08d}"}
        caller = await self.sign_in(by)
        body = await caller.data(CREATE_CUSTOMER, {"input": customer_input(**(defaults | changes))})
        payload = body["createCustomer"]
        assert payload["errors"] == [], payload["errors"]
        return payload["customer"]

    async def assign(self, customer: dict[str, Any], manager: str, by: str = "admin") -> None:
        caller = await self.sign_in(by)
        body = await caller.data(
            ASSIGN, {"input": {"customerId": customer["id"], "userId": self.user(manager)}}
        )
        assert body["assignRelationshipManager"]["errors"] == []

    async def change(self, customer: dict[str, Any], **values: Any) -> None:
        """Set columns the API has no mutation for yet (tier, status...), straight in the table."""
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            await session.execute(
                update(Customer)
                .where(Customer.customer_no == customer["customerNo"])
                .values(**values)
            )

    async def tag(self, customer: dict[str, Any], *tags: str) -> None:
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            customer_id = await self.customer_id(customer)
            session.add_all(CustomerTag(customer_id=customer_id, tag=tag) for tag in tags)

    async def share(
        self,
        customer: dict[str, Any],
        with_user: str,
        *,
        lasting: timedelta = timedelta(days=7),
        revoked: bool = False,
    ) -> None:
        """Share ``customer`` with ``with_user`` until ``lasting`` from now (negative: expired)."""
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            session.add(
                CustomerShare(
                    customer_id=await self.customer_id(customer),
                    shared_with_id=self.user_ids[with_user],
                    shared_by_id=self.user_ids["admin"],
                    reason="Covering a holiday.",
                    created_at=utcnow() - timedelta(days=30),
                    expires_at=utcnow() + lasting,
                    revoked_at=utcnow() if revoked else None,
                )
            )

    async def customer_id(self, customer: dict[str, Any]) -> int:
        async with self.runtime.database.transaction(Mode.READ) as session:
            return await session.scalar(  # type: ignore[return-value]
                select(Customer.id).where(Customer.customer_no == customer["customerNo"])
            )

    async def count(self, model: type) -> int:
        async with self.runtime.database.transaction(Mode.READ) as session:
            return await session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
async def bank(runtime: Runtime, client: GraphQLClient, staff: Staff, password_hash: str) -> Bank:
    """BJ-001 and SH-001 with a branch manager, a relationship manager, a teller and a
    service agent each (``bj.rm``, ``sh.teller``...), and a head office of ``admin``,
    ``auditor`` and ``marketing``."""
    bank = Bank(runtime, client, password_hash)
    for code, name in ((BJ, "北京分行"), (SH, "上海分行")):
        bank.branch_ids[code] = await staff.branch(code, name)
    for username, role in HEAD_OFFICE.items():
        await bank.add_staff(username, role)
    for code in (BJ, SH):
        prefix = code[:2].lower()
        for job, role in IN_EACH_BRANCH.items():
            await bank.add_staff(f"{prefix}.{job}", role, branch=code)
    return bank


class Holdings:
    """A plugin holding assets for customers, as finance will: answers
    ``crm_customer_assets`` with SQL over the amounts a test puts in it."""

    def __init__(self) -> None:
        self.by_customer: dict[int, Decimal] = {}

    @hookimpl
    def crm_customer_assets(self):  # type: ignore[no-untyped-def]
        if not self.by_customer:
            return None
        rows = union_all(
            *(
                select(
                    literal(customer_id, Integer).label("customer_id"),
                    literal(to_minor_units(amount), BigInteger).label("amount"),
                )
                for customer_id, amount in self.by_customer.items()
            )
        ).subquery()
        return select(rows.c.customer_id, rows.c.amount)


@pytest.fixture
def holdings(runtime: Runtime) -> Iterator[Holdings]:
    """A plugin holding assets for customers (as finance will), for this test only."""
    plugin = Holdings()
    runtime.plugins.manager.register(plugin, name="test-holdings")
    yield plugin
    runtime.plugins.manager.unregister(plugin)


@pytest.fixture
async def trio(bank: Bank) -> dict[str, dict[str, Any]]:
    """The three customers, by name."""
    managed = await bank.register(
        name="managed",
        idNumber="110101199003071233",
        phone="13812345678",
        email="xiaoming@example.com",
    )
    await bank.assign(managed, "bj.rm")
    return {
        "managed": managed,
        "unmanaged": await bank.register(name="unmanaged"),
        "shanghai": await bank.register(name="shanghai", branchCode=SH),
    }
