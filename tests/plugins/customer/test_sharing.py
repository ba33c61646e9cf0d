"""Sharing a customer with a colleague for a while: the colleague's scope follows it."""

from __future__ import annotations

import pytest

from core.authorization import Role
from tests.plugins.customer.conftest import global_id as gid
from tests.plugins.customer.people import register

SHARE = """mutation($c: ID!, $u: ID!, $days: Int!) {
  shareCustomer(input: {customerId: $c, userId: $u, days: $days, reason: "大额理财咨询"}) {
    share { id sharedWith { username } } errors { code field } } }"""
END = """mutation($s: Int!) { endCustomerShare(input: {shareId: $s}) { errors { code } } }"""
FIND = "query($id: ID!) { customer(id: $id) { name shares { sharedWith { username } } } }"


@pytest.fixture
async def colleagues(runtime, staff, client):
    """bj.rm1 manages the customer; bj.rm2, of the same branch, does not."""
    await staff.branch("BJ-001")
    rm1 = await staff.user("bj.rm1", Role.RELATIONSHIP_MANAGER, branch="BJ-001")
    rm2 = await staff.user("bj.rm2", Role.RELATIONSHIP_MANAGER, branch="BJ-001")
    owner = await client.sign_in("bj.rm1")
    created = await owner.data(
        """mutation { createCustomer(input: {kind: INDIVIDUAL, name: "王芳",
        idNumber: "11010519491231002X", branchCode: "BJ-001"}) { customer { id } } }"""
    )
    return {
        "owner": owner,
        "colleague": await client.sign_in("bj.rm2"),
        "customer": created["createCustomer"]["customer"]["id"],
        "rm1": rm1,
        "rm2": rm2,
    }


async def test_a_colleague_sees_a_shared_customer_until_the_share_ends(colleagues):
    owner, colleague, customer = (colleagues[k] for k in ("owner", "colleague", "customer"))
    before = await colleague.data(FIND, {"id": customer})

    shared = await owner.data(
        SHARE, {"c": customer, "u": gid("User", colleagues["rm2"]), "days": 7}
    )
    during = await colleague.data(FIND, {"id": customer})
    await owner.data(END, {"s": int(shared["shareCustomer"]["share"]["id"])})
    after = await colleague.data(FIND, {"id": customer})

    assert before == {"customer": None}
    assert during == {
        "customer": {"name": "王芳", "shares": [{"sharedWith": {"username": "bj.rm2"}}]}
    }
    assert after == {"customer": None}


@pytest.mark.parametrize("days", [0, 91, -1])
async def test_a_share_lasts_one_to_ninety_days(colleagues, days):
    body = await colleagues["owner"].data(
        SHARE, {"c": colleagues["customer"], "u": gid("User", colleagues["rm2"]), "days": days}
    )

    assert body["shareCustomer"]["errors"] == [{"code": "INVALID_DAYS", "field": ["input", "days"]}]


async def test_sharing_with_nobody_is_refused(colleagues):
    body = await colleagues["owner"].data(
        SHARE, {"c": colleagues["customer"], "u": gid("User", 999), "days": 7}
    )

    assert body["shareCustomer"]["errors"] == [{"code": "NOT_FOUND", "field": ["input", "userId"]}]


async def test_a_customer_out_of_scope_cannot_be_shared(colleagues, runtime, staff):
    await staff.branch("SH-001", "上海分行")
    elsewhere = await register(runtime, 2, branch="SH-001")

    body = await colleagues["owner"].data(
        SHARE, {"c": gid("Customer", elsewhere.id), "u": gid("User", colleagues["rm2"]), "days": 7}
    )

    assert body["shareCustomer"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["input", "customerId"]}
    ]
