"""The ``users`` connection: keyset pages in creation order, bounded and with opaque cursors."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from strawberry.relay.utils import to_base64

from core.authorization import Role
from core.db import Mode
from core.pagination import CURSOR_PREFIX
from core.runtime import Runtime
from plugins.security.models import User
from tests.conftest import GraphQLClient
from tests.plugins.security.conftest import add_users, error_codes

USERS = """
query($first: Int, $after: String, $branchCode: String) {
  users(first: $first, after: $after, branchCode: $branchCode) {
    totalCount
    edges { cursor node { username } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def user_id(runtime: Runtime, username: str) -> int:
    async with runtime.database.transaction(Mode.READ) as session:
        return await session.scalar(select(User.id).where(User.username == username))


async def users(caller: GraphQLClient, **arguments: Any) -> dict[str, Any]:
    return (await caller.data(USERS, arguments))["users"]


def usernames(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["username"] for edge in page["edges"]]


async def test_pages_walk_every_user_once_in_creation_order(admin, staff, runtime):
    branch = await staff.branch("BJ-001")
    created = ["root", *await add_users(runtime, 6, [branch])]

    pages = [await users(admin, first=3)]
    while pages[-1]["pageInfo"]["hasNextPage"]:
        pages.append(await users(admin, first=3, after=pages[-1]["pageInfo"]["endCursor"]))

    assert [usernames(page) for page in pages] == [created[0:3], created[3:6], created[6:7]]


async def test_page_info_tells_where_a_page_stands(admin, staff, runtime):
    branch = await staff.branch("BJ-001")
    await add_users(runtime, 6, [branch])

    first = await users(admin, first=3)
    middle = await users(admin, first=3, after=first["pageInfo"]["endCursor"])
    last = await users(admin, first=3, after=middle["pageInfo"]["endCursor"])

    flags = [
        (page["pageInfo"]["hasPreviousPage"], page["pageInfo"]["hasNextPage"])
        for page in (first, middle, last)
    ]
    assert flags == [(False, True), (True, True), (True, False)]


async def test_start_and_end_cursors_are_those_of_the_first_and_last_edges(admin, staff, runtime):
    branch = await staff.branch("BJ-001")
    await add_users(runtime, 4, [branch])

    page = await users(admin, first=3)

    assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]


async def test_total_count_counts_every_user_whatever_the_page(admin, staff, runtime):
    branch = await staff.branch("BJ-001")
    await add_users(runtime, 6, [branch])

    first = await users(admin, first=2)
    later = await users(admin, first=2, after=first["pageInfo"]["endCursor"])

    assert first["totalCount"] == later["totalCount"] == 7


async def test_without_first_a_page_holds_twenty_users(admin, staff, runtime):
    branch = await staff.branch("BJ-001")
    await add_users(runtime, 24, [branch])

    page = await users(admin)

    assert len(page["edges"]) == 20
    assert page["pageInfo"]["hasNextPage"] is True


async def test_first_may_be_the_maximum_page_size(admin, runtime):
    assert runtime.settings.max_page_size == 100

    page = await users(admin, first=100)

    assert usernames(page) == ["root"]


@pytest.mark.parametrize("first", [101, -1])
async def test_first_outside_zero_to_the_maximum_is_refused(admin, first):
    body = await admin.execute(USERS, {"first": first})

    assert error_codes(body) == ["INVALID_PAGE_SIZE"]
    assert body["data"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not a cursor",
        "Y3Vyc29y",
        to_base64("arrayconnection", 1),
        to_base64(CURSOR_PREFIX, "one"),
        to_base64(CURSOR_PREFIX, "1.5"),
    ],
)
async def test_a_cursor_the_api_did_not_give_out_is_refused(admin, cursor):
    body = await admin.execute(USERS, {"first": 2, "after": cursor})

    assert error_codes(body) == ["INVALID_CURSOR"]
    assert body["data"] is None


async def test_a_cursor_with_an_out_of_range_number_is_refused(admin):
    body = await admin.execute(USERS, {"first": 2, "after": to_base64(CURSOR_PREFIX, 10**20)})

    assert error_codes(body) == ["INVALID_CURSOR"]


async def test_branch_code_keeps_the_users_of_that_branch(admin, staff, runtime):
    beijing = await staff.branch("BJ-001")
    shanghai = await staff.branch("SH-001", "上海分行")
    await add_users(runtime, 2, [beijing], prefix="bj")
    await add_users(runtime, 3, [shanghai], prefix="sh")

    page = await users(admin, branchCode=" sh-001 ")

    assert usernames(page) == ["sh000", "sh001", "sh002"]
    assert page["totalCount"] == 3


async def test_an_unknown_branch_code_gives_an_empty_page(admin):
    page = await users(admin, branchCode="ZZ-404")

    assert page["edges"] == []
    assert page["totalCount"] == 0
    assert page["pageInfo"]["hasNextPage"] is False


async def test_pages_of_one_branch_walk_only_that_branch(admin, staff, runtime):
    beijing = await staff.branch("BJ-001")
    shanghai = await staff.branch("SH-001", "上海分行")
    await add_users(runtime, 4, [beijing, shanghai])

    first = await users(admin, first=1, branchCode="SH-001")
    second = await users(admin, first=1, after=first["pageInfo"]["endCursor"], branchCode="SH-001")

    assert usernames(first) + usernames(second) == ["user001", "user003"]
    assert second["pageInfo"]["hasNextPage"] is False


async def test_a_branch_manager_lists_only_the_staff_of_their_branch(client, staff, runtime):
    beijing = await staff.branch("BJ-001")
    shanghai = await staff.branch("SH-001", "上海分行")
    await staff.user("bj.manager", Role.BRANCH_MANAGER, branch="BJ-001")
    beijing_staff = await add_users(runtime, 2, [beijing], prefix="bj")
    await add_users(runtime, 2, [shanghai], prefix="sh")
    manager = await client.sign_in("bj.manager")

    page = await users(manager)

    assert usernames(page) == ["bj.manager", *beijing_staff]
    assert page["totalCount"] == 3


async def test_a_branch_manager_cannot_reach_other_branches_staff_by_id(client, staff, runtime):
    shanghai = await staff.branch("SH-001", "上海分行")
    await staff.branch("BJ-001")
    await staff.user("bj.manager", Role.BRANCH_MANAGER, branch="BJ-001")
    [other] = await add_users(runtime, 1, [shanghai], prefix="sh")
    manager = await client.sign_in("bj.manager")
    other_id = to_base64("User", str(await user_id(runtime, other)))

    body = await manager.data("query($id: ID!) { node(id: $id) { id } }", {"id": other_id})

    assert body == {"node": None}
