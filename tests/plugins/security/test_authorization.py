"""Who may manage branches and staff, checked through the API with each role."""

from __future__ import annotations

import pytest

from core.authorization import Role
from tests.plugins.security.conftest import (
    CREATE_BRANCH,
    CREATE_USER,
    error_codes,
    row_counts,
    sign_in_as,
    user_input,
)

USERS = "{ users { totalCount } }"
NEW_BRANCH = {"code": "SH-001", "name": "上海分行"}

MAY_LIST_USERS = {Role.ADMIN, Role.AUDITOR, Role.BRANCH_MANAGER}
MAY_MANAGE = {Role.ADMIN}


async def test_creating_a_user_unauthenticated_is_refused_and_writes_nothing(
    client, staff, runtime
):
    await staff.branch("BJ-001")
    before = await row_counts(runtime)

    body = await client.execute(CREATE_USER, {"input": user_input()})

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["data"] is None
    assert await row_counts(runtime) == before


@pytest.mark.parametrize("role", sorted(MAY_LIST_USERS))
async def test_roles_holding_user_read_may_list_users(client, staff, role):
    caller = await sign_in_as(client, staff, role)

    assert await caller.data(USERS) == {"users": {"totalCount": 1}}


@pytest.mark.parametrize("role", sorted(set(Role) - MAY_LIST_USERS))
async def test_other_roles_may_not_list_users(client, staff, role):
    caller = await sign_in_as(client, staff, role)

    assert error_codes(await caller.execute(USERS)) == ["FORBIDDEN"]


@pytest.mark.parametrize("role", sorted(MAY_MANAGE))
async def test_roles_holding_user_manage_may_create_users(client, staff, role):
    caller = await sign_in_as(client, staff, role)

    body = await caller.data(CREATE_USER, {"input": user_input(username="newcomer")})

    assert body["createUser"]["errors"] == []


@pytest.mark.parametrize("role", sorted(set(Role) - MAY_MANAGE))
async def test_other_roles_may_not_create_users(client, staff, runtime, role):
    caller = await sign_in_as(client, staff, role)
    before = await row_counts(runtime)

    body = await caller.execute(CREATE_USER, {"input": user_input(username="newcomer")})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await row_counts(runtime) == before


@pytest.mark.parametrize("role", sorted(MAY_MANAGE))
async def test_roles_holding_branch_manage_may_create_branches(client, staff, role):
    caller = await sign_in_as(client, staff, role)

    body = await caller.data(CREATE_BRANCH, NEW_BRANCH)

    assert body["createBranch"]["errors"] == []


@pytest.mark.parametrize("role", sorted(set(Role) - MAY_MANAGE))
async def test_other_roles_may_not_create_branches(client, staff, runtime, role):
    caller = await sign_in_as(client, staff, role)
    before = await row_counts(runtime)

    body = await caller.execute(CREATE_BRANCH, NEW_BRANCH)

    assert error_codes(body) == ["FORBIDDEN"]
    assert await row_counts(runtime) == before
