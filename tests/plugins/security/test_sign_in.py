"""Signing in: the answer never tells whether a username exists, and guessing is throttled."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Role
from core.columns import utcnow
from core.db import Mode
from core.errors import BusinessError
from core.runtime import Runtime
from plugins.security import sign_in
from plugins.security.models import SignInThrottle, User
from plugins.security.passwords import needs_rehash
from tests.conftest import PASSWORD, GraphQLClient, Staff

LOGIN = """
mutation($username: String!, $password: String!) {
  login(input: {username: $username, password: $password}) {
    token
    user { username roles }
    errors { field message code }
  }
}
"""

ME = "{ me { username } }"
WRONG = "not the password"


async def login(client: GraphQLClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    body = await client.data(LOGIN, {"username": username, "password": password})
    return body["login"]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def fail_to_sign_in(client: GraphQLClient, username: str, times: int) -> None:
    for _ in range(times):
        assert codes(await login(client, username, WRONG)) == ["INVALID_CREDENTIALS"]


async def disable(runtime: Runtime, username: str) -> None:
    async with runtime.database.transaction() as session:
        await session.execute(
            update(User).where(User.username == username).values(is_active=False)  # type: ignore[arg-type]
        )


@pytest.fixture
async def alice(staff: Staff) -> None:
    await staff.user("alice", Role.AUDITOR)


async def test_the_right_password_gives_a_token_and_the_user(client, alice):
    payload = await login(client, "alice")

    assert payload["errors"] == []
    assert payload["token"]
    assert payload["user"] == {"username": "alice", "roles": ["AUDITOR"]}


async def test_the_token_signs_the_bearer_in(client, alice):
    payload = await login(client, "alice")

    signed_in = GraphQLClient(client.http, token=payload["token"])
    assert await signed_in.data(ME) == {"me": {"username": "alice"}}


async def test_the_username_is_matched_trimmed_and_lower_cased(client, alice):
    payload = await login(client, "  ALICE ")

    assert payload["user"]["username"] == "alice"


async def test_a_wrong_password_is_refused_without_a_token(client, alice):
    payload = await login(client, "alice", WRONG)

    assert payload["token"] is None
    assert payload["user"] is None
    assert codes(payload) == ["INVALID_CREDENTIALS"]


async def test_an_unknown_username_gets_the_same_answer_as_a_wrong_password(client, alice):
    wrong_password = await login(client, "alice", WRONG)
    unknown_username = await login(client, "nobody")

    assert unknown_username == wrong_password


async def test_four_wrong_passwords_in_a_row_do_not_lock(client, alice):
    await fail_to_sign_in(client, "alice", times=4)

    assert (await login(client, "alice"))["token"]


async def test_five_wrong_passwords_in_a_row_lock_the_username_even_to_the_right_one(client, alice):
    await fail_to_sign_in(client, "alice", times=5)

    payload = await login(client, "alice")

    assert payload["token"] is None
    assert codes(payload) == ["SIGN_IN_LOCKED"]


async def test_a_locked_unknown_username_gets_exactly_the_answer_of_a_locked_real_one(
    client, alice
):
    await fail_to_sign_in(client, "alice", times=5)
    await fail_to_sign_in(client, "nobody", times=5)

    assert await login(client, "nobody") == await login(client, "alice")


async def test_the_lock_holds_however_the_username_is_typed(client, alice):
    await fail_to_sign_in(client, " Alice ", times=5)

    assert codes(await login(client, "alice")) == ["SIGN_IN_LOCKED"]


async def test_two_failures_at_once_both_count(runtime, alice):
    async def fail(session: AsyncSession) -> None:
        with pytest.raises(BusinessError):
            await sign_in.sign_in(session, runtime.settings, "alice", WRONG)

    database = runtime.database
    async with database.session(Mode.WRITE) as first, database.session(Mode.WRITE) as second:
        await fail(first)
        racing = asyncio.create_task(fail(second))
        await asyncio.wait([racing], timeout=0.5)
        await first.commit()
        await racing
        await second.commit()

    async with database.transaction(Mode.READ) as session:
        throttle = await session.get(SignInThrottle, "alice")
    assert throttle is not None
    assert throttle.failures == 2


async def test_a_lock_on_one_username_leaves_others_alone(client, staff, alice):
    await staff.user("bob", Role.AUDITOR)
    await fail_to_sign_in(client, "alice", times=5)

    assert (await login(client, "bob"))["token"]


async def test_a_successful_sign_in_resets_the_failure_count(client, alice):
    await fail_to_sign_in(client, "alice", times=4)
    assert (await login(client, "alice"))["token"]
    await fail_to_sign_in(client, "alice", times=4)

    assert (await login(client, "alice"))["token"]


async def test_the_lock_ends_when_it_expires(client, runtime, alice):
    await fail_to_sign_in(client, "alice", times=5)
    async with runtime.database.transaction() as session:
        await session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.username == "alice")  # type: ignore[arg-type]
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )

    assert (await login(client, "alice"))["token"]


async def test_a_username_with_a_control_character_is_simply_wrong(client, alice):
    assert codes(await login(client, "ali\x07ce")) == ["INVALID_CREDENTIALS"]


async def test_a_hash_of_older_parameters_is_upgraded_at_sign_in(client, runtime, alice):
    old_hash = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash(PASSWORD)
    async with runtime.database.transaction() as session:
        await session.execute(
            update(User).where(User.username == "alice").values(password_hash=old_hash)  # type: ignore[arg-type]
        )

    assert (await login(client, "alice"))["token"]

    async with runtime.database.transaction() as session:
        stored = await session.scalar(select(User.password_hash).where(User.username == "alice"))
    assert stored != old_hash
    assert not needs_rehash(stored)
    assert (await login(client, "alice"))["token"]


async def test_a_disabled_user_cannot_sign_in(client, runtime, alice):
    await disable(runtime, "alice")

    payload = await login(client, "alice")

    assert payload["token"] is None
    assert codes(payload) == ["INVALID_CREDENTIALS"]


async def test_disabling_a_user_signs_their_existing_token_out_at_once(client, runtime, alice):
    session = await client.sign_in("alice")
    assert await session.data(ME) == {"me": {"username": "alice"}}

    await disable(runtime, "alice")

    assert await session.data(ME) == {"me": None}
