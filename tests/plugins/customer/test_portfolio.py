"""A relationship manager's portfolio, handing it over, and the branch's policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from core.authorization import Role
from core.db import Mode
from plugins.customer.models import FollowUp, FollowUpStatus
from tests.plugins.customer.conftest import global_id as gid
from tests.plugins.customer.people import register

PORTFOLIO = """{ me { portfolio { customers assets { amount }
  byTier { tier customers assets { amount } } } } }"""
ASSIGN = """mutation($c: ID!, $u: ID!) { assignRelationshipManager(
  input: {customerId: $c, userId: $u, reason: "分配"}) { errors { code } } }"""
HAND_OVER = """mutation($from: ID!, $to: ID!) { handOverPortfolio(
  input: {fromUserId: $from, toUserId: $to, reason: "客户经理调岗"}) {
    moved errors { code field } } }"""
HISTORY = """query($id: ID!) { customer(id: $id) { relationshipManager { username }
  managerHistory { reason manager { username } previousManager { username } } } }"""
POLICY = """mutation($on: Boolean!) { setBranchPolicy(input: {branchCode: "BJ-001",
  autoAssignManagers: $on}) { autoAssignManagers errors { code } } }"""
REGISTER = """mutation($id: String!) { createCustomer(input: {kind: INDIVIDUAL, name: "李娜",
  idNumber: $id, branchCode: "BJ-001"}) { customer { relationshipManager { username } } } }"""


@pytest.fixture
async def branch(staff):
    await staff.branch("BJ-001")
    return {
        "rm1": await staff.user("bj.rm1", Role.RELATIONSHIP_MANAGER, branch="BJ-001"),
        "rm2": await staff.user("bj.rm2", Role.RELATIONSHIP_MANAGER, branch="BJ-001"),
        "manager": await staff.user("bj.manager", Role.BRANCH_MANAGER, branch="BJ-001"),
    }


async def assign(admin, customer, manager_id) -> None:  # type: ignore[no-untyped-def]
    body = await admin.data(
        ASSIGN, {"c": gid("Customer", customer.id), "u": gid("User", manager_id)}
    )
    assert body["assignRelationshipManager"]["errors"] == []


async def test_a_portfolio_counts_customers_and_assets_by_tier(
    admin, client, runtime, branch, holdings
):
    customers = [await register(runtime, n) for n in range(1, 4)]
    for customer in customers:
        await assign(admin, customer, branch["rm1"])
    holdings.by_customer[customers[0].id] = Decimal("600000.00")
    holdings.by_customer[customers[1].id] = Decimal("1000.50")
    await admin.data("mutation { recomputeTiers { examined } }")
    rm1 = await client.sign_in("bj.rm1")

    body = await rm1.data(PORTFOLIO)

    assert body["me"]["portfolio"] == {
        "customers": 3,
        "assets": {"amount": "601000.50"},
        "byTier": [
            {"tier": "MASS", "customers": 2, "assets": {"amount": "1000.50"}},
            {"tier": "AFFLUENT", "customers": 0, "assets": {"amount": "0.00"}},
            {"tier": "WEALTH", "customers": 1, "assets": {"amount": "600000.00"}},
            {"tier": "PRIVATE", "customers": 0, "assets": {"amount": "0.00"}},
        ],
    }


async def test_a_hand_over_moves_every_active_customer_and_keeps_the_history(
    admin, client, runtime, branch
):
    customers = [await register(runtime, n) for n in range(1, 3)]
    for customer in customers:
        await assign(admin, customer, branch["rm1"])
    manager = await client.sign_in("bj.manager")

    body = await manager.data(
        HAND_OVER, {"from": gid("User", branch["rm1"]), "to": gid("User", branch["rm2"])}
    )
    history = await manager.data(HISTORY, {"id": gid("Customer", customers[0].id)})

    assert body["handOverPortfolio"] == {"moved": 2, "errors": []}
    assert history["customer"] == {
        "relationshipManager": {"username": "bj.rm2"},
        "managerHistory": [
            {
                "reason": "客户经理调岗",
                "manager": {"username": "bj.rm2"},
                "previousManager": {"username": "bj.rm1"},
            },
            {"reason": "分配", "manager": {"username": "bj.rm1"}, "previousManager": None},
        ],
    }


async def test_a_portfolio_goes_only_to_a_relationship_manager(admin, client, runtime, branch):
    manager = await client.sign_in("bj.manager")

    body = await manager.data(
        HAND_OVER, {"from": gid("User", branch["rm1"]), "to": gid("User", branch["manager"])}
    )

    assert body["handOverPortfolio"]["errors"] == [
        {"code": "NOT_A_RELATIONSHIP_MANAGER", "field": ["input", "toUserId"]}
    ]


async def test_with_the_policy_on_a_new_customer_goes_to_the_least_loaded_manager(
    admin, client, runtime, branch
):
    await assign(admin, await register(runtime, 1), branch["rm1"])
    manager = await client.sign_in("bj.manager")

    await manager.data(POLICY, {"on": True})
    body = await manager.data(REGISTER, {"id": "11010519491231002X"})

    assert body["createCustomer"]["customer"]["relationshipManager"] == {"username": "bj.rm2"}


async def test_with_the_policy_off_a_new_customer_waits_for_a_manager(admin, client, branch):
    manager = await client.sign_in("bj.manager")

    await manager.data(POLICY, {"on": False})
    body = await manager.data(REGISTER, {"id": "11010519491231002X"})

    assert body["createCustomer"]["customer"]["relationshipManager"] is None


async def test_a_branch_manager_sets_only_their_own_branchs_policy(client, staff, branch):
    await staff.branch("SH-001", "上海分行")
    await staff.user("sh.manager", Role.BRANCH_MANAGER, branch="SH-001")
    other = await client.sign_in("sh.manager")

    body = await other.data(POLICY, {"on": True})

    assert body["setBranchPolicy"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_a_hand_over_takes_the_open_follow_ups_along(admin, client, runtime, branch):
    customer = await register(runtime, 1)
    await assign(admin, customer, branch["rm1"])
    async with runtime.database.transaction(Mode.WRITE) as session:
        session.add_all(
            FollowUp(
                customer_id=customer.id,
                assignee_id=branch["rm1"],
                created_by_id=branch["rm1"],
                title=title,
                due_on=date(2027, 1, 15),
                status=status,
            )
            for title, status in (("回访", FollowUpStatus.OPEN), ("已办", FollowUpStatus.DONE))
        )
    manager = await client.sign_in("bj.manager")

    await manager.data(
        HAND_OVER, {"from": gid("User", branch["rm1"]), "to": gid("User", branch["rm2"])}
    )

    async with runtime.database.transaction(Mode.READ) as session:
        rows = await session.execute(select(FollowUp.title, FollowUp.assignee_id))
        assert dict(rows.all()) == {"回访": branch["rm2"], "已办": branch["rm1"]}
