"""createUser: an administrator creates staff; a refusal names the field and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.security.models import User
from tests.conftest import PASSWORD, GraphQLClient
from tests.plugins.security.conftest import CREATE_USER, row_counts, user_input


async def create_user(caller: GraphQLClient, **changes: Any) -> dict[str, Any]:
    body = await caller.data(CREATE_USER, {"input": user_input(**changes)})
    return body["createUser"]


def failures(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


@pytest.fixture
async def branch(staff) -> None:
    await staff.branch("BJ-001")


async def test_an_admin_creates_a_user_with_roles_and_a_branch(admin, branch):
    payload = await create_user(admin, roles=["TELLER", "SERVICE_AGENT"])

    assert payload["errors"] == []
    assert payload["user"]["id"]
    assert {key: payload["user"][key] for key in ("username", "displayName", "branch")} == {
        "username": "alice",
        "displayName": "Alice",
        "branch": {"code": "BJ-001"},
    }
    assert sorted(payload["user"]["roles"]) == ["SERVICE_AGENT", "TELLER"]


async def test_a_head_office_user_has_no_branch(admin):
    payload = await create_user(admin, roles=["AUDITOR"], branchCode=None)

    assert payload["errors"] == []
    assert payload["user"]["branch"] is None


async def test_the_new_user_can_sign_in(admin, client, branch):
    await create_user(admin)

    assert (await client.sign_in("alice")).token


async def test_the_password_is_stored_only_as_an_argon2id_hash(admin, runtime, branch):
    await create_user(admin)

    async with runtime.database.transaction(Mode.READ) as session:
        stored = await session.scalar(select(User.password_hash).where(User.username == "alice"))
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


async def test_the_username_is_trimmed_and_lower_cased(admin, client, branch):
    payload = await create_user(admin, username="  Alice.Wong_2 ")

    assert payload["user"]["username"] == "alice.wong_2"
    assert (await client.sign_in("alice.wong_2")).token


async def test_the_branch_code_is_matched_whatever_its_case(admin, branch):
    payload = await create_user(admin, branchCode=" bj-001 ")

    assert payload["user"]["branch"] == {"code": "BJ-001"}


async def test_a_role_given_twice_is_held_once(admin, branch):
    payload = await create_user(admin, roles=["TELLER", "TELLER"])

    assert payload["user"]["roles"] == ["TELLER"]


@pytest.mark.parametrize("password", ["8 chars!", "x" * 128])
async def test_passwords_of_8_to_128_characters_are_accepted(admin, branch, password):
    payload = await create_user(admin, password=password)

    assert payload["errors"] == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"username": ""}, ("REQUIRED", ["input", "username"])),
        ({"username": "   "}, ("REQUIRED", ["input", "username"])),
        ({"username": "a" * 65}, ("TOO_LONG", ["input", "username"])),
        ({"username": "al"}, ("INVALID_USERNAME", ["input", "username"])),
        ({"username": "alice wong"}, ("INVALID_USERNAME", ["input", "username"])),
        ({"username": ".alice"}, ("INVALID_USERNAME", ["input", "username"])),
        ({"username": "alice@bank"}, ("INVALID_USERNAME", ["input", "username"])),
        ({"username": "王小明"}, ("INVALID_USERNAME", ["input", "username"])),
        ({"displayName": " "}, ("REQUIRED", ["input", "displayName"])),
        ({"displayName": "名" * 101}, ("TOO_LONG", ["input", "displayName"])),
        ({"password": "7 chars"}, ("WEAK_PASSWORD", ["input", "password"])),
        ({"password": "x" * 129}, ("WEAK_PASSWORD", ["input", "password"])),
        ({"roles": []}, ("INVALID_ROLES", ["input", "roles"])),
        ({"roles": ["TELLER"], "branchCode": None}, ("INVALID_ROLES", ["input", "roles"])),
        (
            {"roles": ["RELATIONSHIP_MANAGER"], "branchCode": None},
            ("INVALID_ROLES", ["input", "roles"]),
        ),
        ({"roles": ["BRANCH_MANAGER"], "branchCode": ""}, ("INVALID_ROLES", ["input", "roles"])),
        (
            {"roles": ["ADMIN", "TELLER"], "branchCode": None},
            ("INVALID_ROLES", ["input", "roles"]),
        ),
        ({"branchCode": "ZZ-404"}, ("NOT_FOUND", ["input", "branchCode"])),
    ],
)
async def test_a_refused_user_names_its_fault_and_nothing_is_written(
    admin, runtime, branch, changes, expected
):
    before = await row_counts(runtime)

    payload = await create_user(admin, **changes)

    assert payload["user"] is None
    assert failures(payload) == [expected]
    assert payload["errors"][0]["message"]
    assert await row_counts(runtime) == before


async def test_a_username_already_taken_is_refused_whatever_its_case(admin, runtime, branch):
    await create_user(admin, username="alice")
    before = await row_counts(runtime)

    payload = await create_user(admin, username=" ALICE ", roles=["TELLER", "SERVICE_AGENT"])

    assert payload["user"] is None
    assert failures(payload) == [("DUPLICATE_USERNAME", ["input", "username"])]
    assert await row_counts(runtime) == before
