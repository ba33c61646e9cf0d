"""Relationship managers (客户经理制): assigning one, the history kept, and who looks
after a customer from registration."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from core.authorization import Role
from core.db import Mode
from plugins.customer.models import BranchPolicy, ManagerAssignment
from plugins.security.models import User
from tests.plugins.customer.conftest import (
    ASSIGN,
    BJ,
    CUSTOMER,
    CUSTOMERS,
    SH,
    Bank,
    codes_and_fields,
    error_codes,
    global_id,
    names,
)

ASSIGNED_AT_REGISTRATION = "Assigned at registration."


async def assign(
    bank: Bank, by: str, customer: dict[str, Any], user_id: str, **extra: Any
) -> dict[str, Any]:
    """The assignRelationshipManager payload."""
    caller = await bank.sign_in(by)
    body = await caller.data(
        ASSIGN, {"input": {"customerId": customer["id"], "userId": user_id, **extra}}
    )
    return body["assignRelationshipManager"]


async def manager_of(bank: Bank, customer: dict[str, Any]) -> str | None:
    admin = await bank.sign_in("admin")
    found = (await admin.data(CUSTOMER, {"id": customer["id"]}))["customer"]
    return (found["relationshipManager"] or {}).get("username")


async def history(bank: Bank) -> list[tuple[str | None, str | None, str, str | None]]:
    """Each assignment as (manager, previous manager, reason, assigned by), oldest first."""
    usernames = {user_id: username for username, user_id in bank.user_ids.items()}
    async with bank.runtime.database.transaction(Mode.READ) as session:
        rows = await session.scalars(select(ManagerAssignment).order_by(ManagerAssignment.id))
        return [
            (
                usernames.get(row.manager_id),  # type: ignore[arg-type]
                usernames.get(row.previous_manager_id),  # type: ignore[arg-type]
                row.reason,
                usernames.get(row.assigned_by_id),  # type: ignore[arg-type]
            )
            for row in rows
        ]


async def deactivate(bank: Bank, username: str) -> None:
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(update(User).where(User.username == username).values(is_active=False))


@pytest.fixture
async def customer(bank: Bank) -> dict[str, Any]:
    """An unmanaged customer of BJ-001."""
    return await bank.register(name="王小明")


@pytest.fixture
async def colleague(bank: Bank) -> str:
    """A second relationship manager of BJ-001, created after ``bj.rm``."""
    await bank.add_staff("bj.rm2", Role.RELATIONSHIP_MANAGER, branch=BJ)
    return "bj.rm2"


# --- assignRelationshipManager ----------------------------------------------------------


@pytest.mark.parametrize("by", ["admin", "bj.manager"])
async def test_a_manager_assigns_a_relationship_manager_of_the_customers_branch(bank, customer, by):
    payload = await assign(bank, by, customer, bank.user("bj.rm"))

    assert payload == {
        "customer": {
            "customerNo": customer["customerNo"],
            "relationshipManager": {"username": "bj.rm"},
        },
        "errors": [],
    }


async def test_the_assigned_manager_finds_the_customer_in_their_portfolio(bank, customer):
    await assign(bank, "bj.manager", customer, bank.user("bj.rm"))
    rm = await bank.sign_in("bj.rm")

    assert names((await rm.data(CUSTOMERS))["customers"]) == ["王小明"]


async def test_each_assignment_is_kept_with_who_made_it_and_why(bank, customer, colleague):
    await assign(bank, "bj.manager", customer, bank.user("bj.rm"), reason="新客户开户")
    await assign(bank, "admin", customer, bank.user(colleague))

    assert await history(bank) == [
        ("bj.rm", None, "新客户开户", "bj.manager"),
        (colleague, "bj.rm", "Assigned by a manager.", "admin"),
    ]


async def test_a_reassigned_customer_leaves_the_previous_managers_portfolio(
    bank, customer, colleague
):
    await assign(bank, "bj.manager", customer, bank.user("bj.rm"))
    await assign(bank, "bj.manager", customer, bank.user(colleague))
    previous = await bank.sign_in("bj.rm")
    current = await bank.sign_in(colleague)

    assert names((await previous.data(CUSTOMERS))["customers"]) == []
    assert names((await current.data(CUSTOMERS))["customers"]) == ["王小明"]


async def test_assigning_the_current_manager_again_records_nothing_new(bank, customer):
    await assign(bank, "bj.manager", customer, bank.user("bj.rm"))

    payload = await assign(bank, "bj.manager", customer, bank.user("bj.rm"))

    assert payload["errors"] == []
    assert len(await history(bank)) == 1


@pytest.mark.parametrize(
    ("manager", "code"),
    [
        ("bj.teller", "NOT_A_RELATIONSHIP_MANAGER"),
        ("bj.manager", "NOT_A_RELATIONSHIP_MANAGER"),
        ("admin", "NOT_A_RELATIONSHIP_MANAGER"),
        ("sh.rm", "MANAGER_OF_ANOTHER_BRANCH"),
        ("bj.rm.left", "NOT_FOUND"),
        ("nobody", "NOT_FOUND"),
        ("a-customer", "NOT_FOUND"),
    ],
)
async def test_only_an_active_relationship_manager_of_the_branch_may_be_assigned(
    bank, customer, manager, code
):
    await bank.add_staff("bj.rm.left", Role.RELATIONSHIP_MANAGER, branch=BJ, active=False)
    user_id = {
        "nobody": global_id("User", 999_999),
        "a-customer": customer["id"],
    }.get(manager) or bank.user(manager)

    payload = await assign(bank, "admin", customer, user_id)

    assert payload["customer"] is None
    assert codes_and_fields(payload) == [(code, ["input", "userId"])]
    assert await manager_of(bank, customer) is None
    assert await history(bank) == []


async def test_a_customer_out_of_the_managers_scope_looks_missing(bank):
    shanghai = await bank.register(branchCode=SH)
    missing = {"id": global_id("Customer", await bank.customer_id(shanghai) + 1000)}

    out_of_scope = await assign(bank, "bj.manager", shanghai, bank.user("sh.rm"))
    not_there = await assign(bank, "bj.manager", missing, bank.user("sh.rm"))

    assert out_of_scope == not_there
    assert codes_and_fields(out_of_scope) == [("NOT_FOUND", ["input", "customerId"])]
    assert await manager_of(bank, shanghai) is None


async def test_a_closed_customer_cannot_be_assigned(bank, customer):
    await bank.change(customer, status="CLOSED")

    payload = await assign(bank, "admin", customer, bank.user("bj.rm"))

    assert codes_and_fields(payload) == [("CUSTOMER_CLOSED", ["input", "customerId"])]
    assert await history(bank) == []


@pytest.mark.parametrize(
    ("reason", "code"),
    [
        ("", "REQUIRED"),
        ("   ", "REQUIRED"),
        ("理" * 2001, "TOO_LONG"),
        ("交接\x07", "INVALID_CHARACTERS"),
    ],
    ids=["empty", "blank", "2001-characters", "control-character"],
)
async def test_an_unusable_reason_is_refused(bank, customer, reason, code):
    payload = await assign(bank, "admin", customer, bank.user("bj.rm"), reason=reason)

    assert codes_and_fields(payload) == [(code, ["input", "reason"])]
    assert await manager_of(bank, customer) is None


@pytest.mark.parametrize("by", ["bj.rm", "bj.teller", "bj.agent", "marketing", "auditor"])
async def test_who_may_not_assign_managers_is_forbidden(bank, customer, by):
    caller = await bank.sign_in(by)

    body = await caller.execute(
        ASSIGN, {"input": {"customerId": customer["id"], "userId": bank.user("bj.rm")}}
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await history(bank) == []


# --- Who manages a new customer ---------------------------------------------------------


async def set_policy(bank: Bank, branch: str, auto_assign: bool = True) -> None:
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        session.add(
            BranchPolicy(branch_id=bank.branch_ids[branch], auto_assign_managers=auto_assign)
        )


async def give(bank: Bank, manager: str, count: int) -> list[dict[str, Any]]:
    """``count`` new customers of the manager's branch, managed by ``manager``."""
    customers = []
    for _ in range(count):
        customer = await bank.register()
        await bank.assign(customer, manager)
        customers.append(customer)
    return customers


async def test_a_relationship_manager_who_registers_a_customer_manages_them(bank):
    customer = await bank.register(by="bj.rm")

    assert customer["relationshipManager"] == {"username": "bj.rm"}
    assert await history(bank) == [("bj.rm", None, ASSIGNED_AT_REGISTRATION, "bj.rm")]


@pytest.mark.parametrize("by", ["admin", "bj.manager"])
async def test_without_the_branch_policy_a_new_customer_has_no_manager(bank, by):
    customer = await bank.register(by=by)

    assert customer["relationshipManager"] is None
    assert await history(bank) == []


async def test_with_the_policy_switched_off_a_new_customer_has_no_manager(bank):
    await set_policy(bank, BJ, auto_assign=False)

    customer = await bank.register(by="bj.manager")

    assert customer["relationshipManager"] is None


async def test_with_the_policy_a_new_customer_goes_to_the_least_loaded_manager(bank, colleague):
    await set_policy(bank, BJ)
    await give(bank, "bj.rm", 2)
    await give(bank, colleague, 1)

    customer = await bank.register(by="bj.manager")

    assert customer["relationshipManager"] == {"username": colleague}


async def test_the_automatic_assignment_is_recorded(bank):
    await set_policy(bank, BJ)

    await bank.register(by="bj.manager")

    assert await history(bank) == [("bj.rm", None, ASSIGNED_AT_REGISTRATION, "bj.manager")]


async def test_equally_loaded_managers_are_chosen_longest_serving_first(bank, colleague):
    await set_policy(bank, BJ)

    customer = await bank.register(by="admin")

    assert customer["relationshipManager"] == {"username": "bj.rm"}


async def test_closed_customers_do_not_count_towards_a_managers_load(bank, colleague):
    await set_policy(bank, BJ)
    for closed in await give(bank, "bj.rm", 2):
        await bank.change(closed, status="CLOSED")
    await give(bank, colleague, 1)

    customer = await bank.register(by="bj.manager")

    assert customer["relationshipManager"] == {"username": "bj.rm"}


async def test_an_inactive_manager_gets_no_new_customers(bank, colleague):
    await set_policy(bank, BJ)
    await give(bank, "bj.rm", 1)
    await deactivate(bank, colleague)

    customer = await bank.register(by="bj.manager")

    assert customer["relationshipManager"] == {"username": "bj.rm"}


async def test_a_branch_without_an_active_manager_leaves_the_customer_unmanaged(bank):
    await set_policy(bank, BJ)
    await deactivate(bank, "bj.rm")

    customer = await bank.register(by="bj.manager")

    assert customer["relationshipManager"] is None
    assert await history(bank) == []


async def test_managers_of_other_branches_are_never_chosen(bank):
    await set_policy(bank, BJ)
    await give(bank, "bj.rm", 3)

    customer = await bank.register(by="admin", branchCode=BJ)

    assert customer["relationshipManager"] == {"username": "bj.rm"}


async def test_the_policy_of_one_branch_does_not_apply_to_another(bank):
    await set_policy(bank, BJ)

    customer = await bank.register(by="admin", branchCode=SH)

    assert customer["relationshipManager"] is None


async def test_under_the_policy_a_registering_manager_still_keeps_their_customer(bank, colleague):
    await set_policy(bank, BJ)
    await give(bank, "bj.rm", 2)

    customer = await bank.register(by="bj.rm")

    assert customer["relationshipManager"] == {"username": "bj.rm"}


async def test_registering_and_assigning_are_announced_to_other_plugins(bank, runtime):
    heard = []

    async def listen(event, session):  # type: ignore[no-untyped-def]
        heard.append(event)

    stops = [
        runtime.events.subscribe("customer.registered", listen),
        runtime.events.subscribe("customer.manager_assigned", listen),
    ]
    customer = await bank.register(name="王芳")
    await bank.assign(customer, "bj.rm")
    for stop in stops:
        stop()

    assert [event.name for event in heard] == ["customer.registered", "customer.manager_assigned"]
    assert heard[1].previous_manager_id is None
