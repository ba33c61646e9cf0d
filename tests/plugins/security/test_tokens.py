"""Bearer tokens: only an unexpired HS256 token of a live session signs the caller in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jwt
import pytest
from sqlalchemy import update

from core.authorization import Role
from core.columns import utcnow
from plugins.security.models import SignInSession
from tests.conftest import TEST_SECRET, GraphQLClient, Staff

ME = "{ me { username } }"
SIGNED_IN_ONLY = "{ branches { code } }"
LOGOUT = "mutation { logout { errors { code } } }"


def bearer(client: GraphQLClient, token: str) -> GraphQLClient:
    return GraphQLClient(client.http, token=token)


async def assert_unauthenticated(caller: GraphQLClient) -> None:
    assert await caller.data(ME) == {"me": None}
    body = await caller.execute(SIGNED_IN_ONLY)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]


@pytest.fixture
async def alice(client: GraphQLClient, staff: Staff) -> GraphQLClient:
    await staff.user("alice", Role.AUDITOR)
    return await client.sign_in("alice")


@pytest.fixture
def claims(alice: GraphQLClient) -> dict[str, Any]:
    """The claims of alice's real token, for forging tokens that differ in one respect."""
    assert alice.token
    return jwt.decode(alice.token, options={"verify_signature": False})


async def test_me_is_null_without_a_token(client):
    assert await client.data(ME) == {"me": None}


async def test_a_signed_in_only_field_needs_a_token(client):
    await assert_unauthenticated(client)


async def test_a_token_re_signed_with_the_server_key_is_accepted(client, claims):
    token = jwt.encode(claims, TEST_SECRET, algorithm="HS256")

    assert await bearer(client, token).data(ME) == {"me": {"username": "alice"}}


async def test_a_garbage_token_leaves_the_caller_unauthenticated(client, alice):
    await assert_unauthenticated(bearer(client, "not-a-jwt"))


async def test_a_token_signed_with_another_key_leaves_the_caller_unauthenticated(client, claims):
    token = jwt.encode(claims, "another-secret-key-that-is-long-enough-for-hs256")

    await assert_unauthenticated(bearer(client, token))


async def test_an_unsigned_alg_none_token_leaves_the_caller_unauthenticated(client, claims):
    token = jwt.encode(claims, None, algorithm="none")

    await assert_unauthenticated(bearer(client, token))


async def test_a_token_of_another_algorithm_leaves_the_caller_unauthenticated(client, claims):
    token = jwt.encode(claims, TEST_SECRET * 2, algorithm="HS512")

    await assert_unauthenticated(bearer(client, token))


async def test_an_expired_token_leaves_the_caller_unauthenticated(client, claims):
    now = utcnow()
    expired = claims | {"iat": now - timedelta(hours=9), "exp": now - timedelta(seconds=1)}
    token = jwt.encode(expired, TEST_SECRET, algorithm="HS256")

    await assert_unauthenticated(bearer(client, token))


async def test_a_token_of_another_issuer_leaves_the_caller_unauthenticated(client, claims):
    token = jwt.encode(claims | {"iss": "someone-else"}, TEST_SECRET, algorithm="HS256")

    await assert_unauthenticated(bearer(client, token))


async def test_a_token_for_an_unknown_session_leaves_the_caller_unauthenticated(client, claims):
    token = jwt.encode(claims | {"sid": "no-such-session"}, TEST_SECRET, algorithm="HS256")

    await assert_unauthenticated(bearer(client, token))


async def test_a_session_token_cannot_be_turned_to_another_user(client, staff, claims):
    other = await staff.user("bob", Role.ADMIN)
    token = jwt.encode(claims | {"sub": str(other)}, TEST_SECRET, algorithm="HS256")

    await assert_unauthenticated(bearer(client, token))


async def test_a_token_stops_working_when_its_session_expires(client, runtime, alice):
    async with runtime.database.transaction() as session:
        await session.execute(
            update(SignInSession).values(expires_at=utcnow() - timedelta(seconds=1))
        )

    await assert_unauthenticated(alice)


async def test_logout_stops_the_token_working_at_once(alice):
    assert await alice.data(LOGOUT) == {"logout": {"errors": []}}

    await assert_unauthenticated(alice)


async def test_logout_leaves_the_users_other_sessions_signed_in(client, alice):
    other_session = await client.sign_in("alice")

    await alice.data(LOGOUT)

    assert await other_session.data(ME) == {"me": {"username": "alice"}}


async def test_logout_needs_a_signed_in_caller(client):
    body = await client.execute(LOGOUT)

    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
