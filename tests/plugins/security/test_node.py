"""``node(id:)`` for branches and staff: what exists and is in scope, else null."""

from __future__ import annotations

from typing import Any

import pytest
from strawberry import relay

from core.authorization import Role
from tests.conftest import GraphQLClient
from tests.plugins.security.conftest import sign_in_as

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    id
    ... on Branch { code }
    ... on User { username }
  }
}
"""
BRANCHES = "{ branches { id code } }"
USERS = "{ users { edges { node { id username } } } }"
ME = "{ me { id } }"


def global_id(type_name: str, node_id: str) -> str:
    return str(relay.GlobalID(type_name, node_id))


async def node(caller: GraphQLClient, id: str) -> dict[str, Any]:
    """The whole response body, so that an error cannot pass for a null."""
    return await caller.execute(NODE, {"id": id})


async def test_a_branch_resolves_by_its_global_id(admin, staff):
    await staff.branch("BJ-001")
    [branch] = (await admin.data(BRANCHES))["branches"]

    body = await node(admin, branch["id"])

    assert body == {
        "data": {"node": {"__typename": "Branch", "id": branch["id"], "code": "BJ-001"}}
    }


async def test_a_user_resolves_by_its_global_id(admin, staff):
    await staff.user("auditor", Role.AUDITOR)
    [_, auditor] = [edge["node"] for edge in (await admin.data(USERS))["users"]["edges"]]

    body = await node(admin, auditor["id"])

    assert body == {
        "data": {"node": {"__typename": "User", "id": auditor["id"], "username": "auditor"}}
    }


async def test_without_user_read_you_see_yourself(client, staff):
    teller = await sign_in_as(client, staff, Role.TELLER)
    me = (await teller.data(ME))["me"]

    body = await node(teller, me["id"])

    assert body["data"]["node"]["username"] == "teller"


async def test_without_user_read_another_user_is_null_like_a_missing_one(client, staff):
    root = await staff.user("root", Role.ADMIN)
    teller = await sign_in_as(client, staff, Role.TELLER)

    another = await node(teller, global_id("User", str(root)))
    missing = await node(teller, global_id("User", str(root + 1000)))

    assert another == missing == {"data": {"node": None}}


async def test_with_user_read_a_missing_user_is_null(admin):
    assert await node(admin, global_id("User", "4242")) == {"data": {"node": None}}


async def test_a_missing_branch_is_null(admin):
    assert await node(admin, global_id("Branch", "4242")) == {"data": {"node": None}}


@pytest.mark.parametrize(
    ("type_name", "node_id"),
    [
        ("UserEdge", "1"),
        ("UserConnection", "1"),
        ("PageInfo", "1"),
        ("Query", "1"),
        ("Role", "1"),
        ("NoSuchType", "1"),
        ("User", "abc"),
        ("User", "-1"),
        ("User", "1.0"),
        ("User", ""),
        ("Branch", "abc"),
    ],
)
async def test_an_id_that_names_no_branch_or_user_is_null(admin, type_name, node_id):
    assert await node(admin, global_id(type_name, node_id)) == {"data": {"node": None}}


async def test_the_id_of_the_node_interface_itself_is_null(admin):
    assert await node(admin, global_id("Node", "1")) == {"data": {"node": None}}


async def test_an_id_of_digits_int_cannot_read_is_null(admin):
    assert await node(admin, global_id("User", "²")) == {"data": {"node": None}}


async def test_an_id_beyond_the_id_range_is_null(admin):
    assert await node(admin, global_id("User", "9" * 20)) == {"data": {"node": None}}


async def test_node_needs_a_signed_in_caller(client, staff):
    await staff.branch("BJ-001")

    body = await client.execute(NODE, {"id": global_id("Branch", "1")})

    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
