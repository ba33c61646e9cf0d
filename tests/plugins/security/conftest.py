"""Shared set-up for the security plugin's tests: signed-in callers and row counts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlmodel import SQLModel

from core.authorization import Role
from core.db import Mode
from core.runtime import Runtime
from plugins.security.models import Branch, User, UserRole
from plugins.security.passwords import hash_password
from tests.conftest import PASSWORD, GraphQLClient, Staff

CREATE_USER = """
mutation($input: CreateUserInput!) {
  createUser(input: $input) {
    user { id username displayName roles branch { code } }
    errors { field message code }
  }
}
"""

CREATE_BRANCH = """
mutation($code: String!, $name: String!) {
  createBranch(input: {code: $code, name: $name}) {
    branch { id code name }
    errors { field message code }
  }
}
"""


def user_input(**changes: Any) -> dict[str, Any]:
    """A valid CreateUserInput for a teller of BJ-001, with ``changes`` applied."""
    return {
        "username": "alice",
        "password": PASSWORD,
        "displayName": "Alice",
        "roles": ["TELLER"],
        "branchCode": "BJ-001",
    } | changes


def error_codes(body: dict[str, Any]) -> list[str]:
    """The ``extensions.code`` of each GraphQL error in a response body."""
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def count_rows(runtime: Runtime, model: type[SQLModel]) -> int:
    async with runtime.database.transaction(Mode.READ) as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def row_counts(runtime: Runtime) -> dict[str, int]:
    """How many branches, users and role grants the database holds."""
    return {
        model.__tablename__: await count_rows(runtime, model)  # type: ignore[misc]
        for model in (Branch, User, UserRole)
    }


async def add_users(
    runtime: Runtime, count: int, branch_ids: Sequence[int], *, prefix: str = "user"
) -> list[str]:
    """Insert ``count`` relationship managers spread over ``branch_ids``, oldest first.

    Rows go straight into the tables, all with one password hash, so that tests
    needing many users do not spend a password hash on each.
    """
    password_hash = await hash_password(PASSWORD)
    usernames = [f"{prefix}{n:03}" for n in range(count)]
    async with runtime.database.transaction(Mode.WRITE) as session:
        for n, username in enumerate(usernames):
            user = User(
                username=username,
                display_name=username,
                password_hash=password_hash,
                branch_id=branch_ids[n % len(branch_ids)],
            )
            session.add(user)
            await session.flush()
            session.add(UserRole(user_id=user.id, role=Role.RELATIONSHIP_MANAGER))  # type: ignore[arg-type]
    return usernames


async def sign_in_as(client: GraphQLClient, staff: Staff, role: Role) -> GraphQLClient:
    """A member of staff of branch BJ-001 holding only ``role``, signed in."""
    await staff.branch("BJ-001")
    username = role.value.lower().replace("_", ".")
    await staff.user(username, role, branch="BJ-001")
    return await client.sign_in(username)
