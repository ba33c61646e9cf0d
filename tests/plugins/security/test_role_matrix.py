"""Every root field, called by every role: allowed where the permission matrix
says so, refused with FORBIDDEN (and nothing written) otherwise.

The fields come from the served schema, so a field added later is called here
without anyone writing a test for it; its arguments are made up from their
types (``root_calls``). One bank is set up for the whole module: a member of
staff of BJ-001 per role, and head-office ADMIN, AUDITOR and MARKETING.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from core.authorization import Access, Role
from core.runtime import Runtime
from plugins.security.permission_matrix import RootField, root_fields
from schema.build import build_schema
from tests.conftest import GraphQLClient, Staff, empty_database, settings_for
from tests.plugins.security.conftest import error_codes
from tests.plugins.security.root_calls import root_call

COLLECTING = Runtime.create(settings_for("sqlite+aiosqlite:///:memory:"))
FIELDS = root_fields(COLLECTING)
SCHEMA = build_schema(COLLECTING)._schema
"""Collected from the schema the enabled plugins make, before any database exists."""

NOT_A_PERMISSION_ANSWER = {"FORBIDDEN", "UNAUTHENTICATED", "INTERNAL_SERVER_ERROR"}
WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
AUDIT_TRAIL = "security_audit_"
"""A refused mutation is recorded in the audit trail: that is the one write it may cause."""
ENDS_THE_SESSION = {"logout", "logoutEverywhere"}


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role | None = None
    branch: str | None = None


CALLERS = [
    Caller("anonymous"),
    *(Caller(f"bj.{role.value.lower()}", role, "BJ-001") for role in Role),
    *(Caller(f"head-office.{role.value.lower()}", role) for role in (Role.ADMIN, Role.AUDITOR)),
    Caller("head-office.marketing", Role.MARKETING),
]


@dataclass
class SignedInCallers:
    """Each caller's signed-in client, signing in again after a call that signed out."""

    client: GraphQLClient
    _signed_in: dict[str, GraphQLClient] = field(default_factory=dict)

    async def of(self, caller: Caller) -> GraphQLClient:
        if caller.role is None:
            return self.client
        if caller.name not in self._signed_in:
            self._signed_in[caller.name] = await self.client.sign_in(caller.name)
        return self._signed_in[caller.name]

    def forget(self, caller: Caller) -> None:
        self._signed_in.pop(caller.name, None)


@pytest.fixture(autouse=True)
def empty_tables() -> None:
    """The calls share one bank, set up once for the module by ``callers``."""


@pytest.fixture(scope="module")
async def callers(runtime: Runtime, app: Any) -> AsyncIterator[SignedInCallers]:
    await empty_database(runtime)
    staff = Staff(runtime)
    for code, name in (("BJ-001", "北京分行"), ("SH-001", "上海分行")):
        await staff.branch(code, name)
    for caller in CALLERS:
        if caller.role is not None:
            await staff.user(caller.name, caller.role, branch=caller.branch)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://crm.test") as http:
        yield SignedInCallers(GraphQLClient(http))
    await empty_database(runtime)


def test_every_root_field_of_the_served_schema_is_called_and_declares_a_requirement(runtime):
    served = root_fields(runtime)

    assert [(f.operation, f.name) for f in served] == [(f.operation, f.name) for f in FIELDS]
    for root_field in served:
        assert root_field.requirement is not None, f"{root_field.name} declares no permission"


def written_tables(statements: Sequence[str]) -> set[str]:
    """The tables the statements wrote to, the audit trail aside."""
    tables = {match[1] for statement in statements if (match := WRITE.match(statement))}
    return {table for table in tables if not table.startswith(AUDIT_TRAIL)}


def expected_refusal(root_field: RootField, caller: Caller, runtime: Runtime) -> str | None:
    """The error code the matrix says ``caller`` gets, or None if it may call the field."""
    if root_field.requirement is Access.ANYONE:
        return None
    if caller.role is None:
        return "UNAUTHENTICATED"
    if root_field.requirement is Access.SIGNED_IN:
        return None
    held = runtime.permissions.for_roles([caller.role])
    return None if root_field.requirement in held else "FORBIDDEN"


def calls() -> list[Any]:
    params = []
    for root_field in FIELDS:
        for caller in CALLERS:
            name = f"{root_field.operation}.{root_field.name}-{caller.name}"
            params.append(pytest.param(root_field, caller, id=name))
    return params


@pytest.mark.parametrize(("root_field", "caller"), calls())
async def test_a_root_field_answers_each_role_as_the_matrix_says(
    root_field: RootField, caller: Caller, callers: SignedInCallers, runtime: Runtime, sql
):
    call = root_call(SCHEMA, root_field.operation, root_field.name)
    client = await callers.of(caller)
    sql.reset()

    body = await client.execute(call.document, call.variables)

    if root_field.name in ENDS_THE_SESSION:
        callers.forget(caller)
    codes = error_codes(body)
    refusal = expected_refusal(root_field, caller, runtime)
    if refusal is not None:
        assert codes == [refusal], body
        assert body["data"] in (None, {root_field.name: None}), body
        assert written_tables(sql.statements) == set()
    else:
        assert not NOT_A_PERMISSION_ANSWER & set(codes), body
        payload = (body.get("data") or {}).get(root_field.name)
        errors = payload.get("errors", []) if isinstance(payload, dict) else []
        business_codes = {error["code"] for error in errors}
        assert not NOT_A_PERMISSION_ANSWER & business_codes, body
