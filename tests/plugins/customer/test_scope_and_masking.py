"""Who finds which customers, and who reads their personal data unmasked.

Three customers: ``managed`` (BJ-001, managed by ``bj.rm``), ``unmanaged``
(BJ-001, nobody's) and ``shanghai`` (SH-001). Branch staff are of BJ-001.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from core.authorization import Role
from tests.plugins.customer.conftest import (
    BJ,
    CUSTOMER,
    CUSTOMERS,
    NODE,
    Bank,
    error_codes,
    global_id,
    names,
)

EVERYONE = {"managed", "unmanaged", "shanghai"}
BEIJING = {"managed", "unmanaged"}

MASKED = {
    "idNumber": "110101********1233",
    "phone": "138****5678",
    "email": "x***@example.com",
    "birthDate": None,
}
UNMASKED = {
    "idNumber": "110101199003071233",
    "phone": "13812345678",
    "email": "xiaoming@example.com",
    "birthDate": "1990-03-07",
}

MATRIX = [
    ("admin", EVERYONE, UNMASKED),
    ("auditor", EVERYONE, UNMASKED),
    ("marketing", EVERYONE, MASKED),
    ("bj.manager", BEIJING, UNMASKED),
    ("bj.rm", {"managed"}, UNMASKED),
    ("bj.teller", BEIJING, MASKED),
    ("bj.agent", BEIJING, MASKED),
]
"""Each role: the customers it finds, and how it sees the managed customer's personal data."""
ROLES = [username for username, _, _ in MATRIX]
SCOPE = [(username, visible) for username, visible, _ in MATRIX]
MASKING = [(username, seen) for username, _, seen in MATRIX]

LISTED = """
query($search: String) {
  customers(filter: {search: $search}) { edges { node { idNumber phone email birthDate } } }
}
"""


async def found_by_customer(caller, customer) -> bool:
    return (await caller.data(CUSTOMER, {"id": customer["id"]}))["customer"] is not None


async def found_by_node(caller, customer) -> bool:
    return (await caller.data(NODE, {"id": customer["id"]}))["node"] is not None


@pytest.mark.parametrize(("username", "visible"), SCOPE, ids=ROLES)
async def test_customers_lists_exactly_the_customers_in_scope(bank, trio, username, visible):
    caller = await bank.sign_in(username)

    connection = (await caller.data(CUSTOMERS))["customers"]

    assert set(names(connection)) == visible
    assert connection["totalCount"] == len(visible)


@pytest.mark.parametrize(("username", "visible"), SCOPE, ids=ROLES)
async def test_customer_by_id_finds_exactly_the_customers_in_scope(bank, trio, username, visible):
    caller = await bank.sign_in(username)

    found = {name for name, customer in trio.items() if await found_by_customer(caller, customer)}

    assert found == visible


@pytest.mark.parametrize(("username", "visible"), SCOPE, ids=ROLES)
async def test_node_finds_exactly_the_customers_in_scope(bank, trio, username, visible):
    caller = await bank.sign_in(username)

    found = {name for name, customer in trio.items() if await found_by_node(caller, customer)}

    assert found == visible


@pytest.mark.parametrize(
    ("username", "hidden"),
    [
        ("bj.rm", "unmanaged"),
        ("bj.rm", "shanghai"),
        ("bj.manager", "shanghai"),
        ("bj.teller", "shanghai"),
        ("bj.agent", "shanghai"),
    ],
)
@pytest.mark.parametrize(("query", "field"), [(CUSTOMER, "customer"), (NODE, "node")])
async def test_an_out_of_scope_customer_looks_exactly_like_a_missing_one(
    bank, trio, username, hidden, query, field
):
    caller = await bank.sign_in(username)
    missing_id = global_id("Customer", await bank.customer_id(trio["shanghai"]) + 1000)

    out_of_scope = await caller.execute(query, {"id": trio[hidden]["id"]})
    missing = await caller.execute(query, {"id": missing_id})

    assert out_of_scope == missing == {"data": {field: None}}


@pytest.mark.parametrize(
    ("type_name", "node_id"),
    [("User", "bj.rm"), ("Branch", "BJ-001"), ("Customer", "abc"), ("Customer", "-1"),
     ("Customer", "9" * 20), ("Customer", "")],
)  # fmt: skip
async def test_customer_by_an_id_that_names_no_customer_is_null(bank, trio, type_name, node_id):
    admin = await bank.sign_in("admin")
    known = bank.user_ids | bank.branch_ids

    body = await admin.execute(CUSTOMER, {"id": global_id(type_name, known.get(node_id, node_id))})

    assert body == {"data": {"customer": None}}


@pytest.mark.parametrize(("username", "seen"), MASKING, ids=ROLES)
async def test_personal_data_is_masked_unless_the_viewer_may_read_it(bank, trio, username, seen):
    caller = await bank.sign_in(username)
    personal = ("idNumber", "phone", "email", "birthDate")
    managed = trio["managed"]

    by_id = (await caller.data(CUSTOMER, {"id": managed["id"]}))["customer"]
    by_node = (await caller.data(NODE, {"id": managed["id"]}))["node"]
    [listed] = (await caller.data(LISTED, {"search": managed["customerNo"]}))["customers"]["edges"]

    assert {key: by_id[key] for key in personal} == seen
    assert {key: by_node[key] for key in personal} == seen
    assert listed["node"] == seen


async def test_a_companys_credit_code_is_masked_like_an_id_number(bank):
    company = await bank.register(kind="CORPORATE", name="星辰科技", idNumber="91350100M000100Y43")
    teller = await bank.sign_in("bj.teller")

    customer = (await teller.data(CUSTOMER, {"id": company["id"]}))["customer"]

    assert customer["idNumber"] == "913501********0Y43"


async def test_a_missing_phone_and_email_stay_null_when_masked(bank):
    customer = await bank.register(phone=None, email=None)
    teller = await bank.sign_in("bj.teller")

    seen = (await teller.data(CUSTOMER, {"id": customer["id"]}))["customer"]

    assert (seen["phone"], seen["email"]) == (None, None)


@pytest.mark.parametrize(
    ("query", "variables"), [(CUSTOMERS, {}), (CUSTOMER, {"id": global_id("Customer", 1)})]
)
async def test_finding_customers_needs_a_signed_in_caller(bank, query, variables):
    body = await bank.client.execute(query, variables)

    assert error_codes(body) == ["UNAUTHENTICATED"]


# --- Shares -----------------------------------------------------------------------------


@pytest.fixture
async def colleague(bank: Bank) -> str:
    """A second relationship manager of BJ-001."""
    await bank.add_staff("bj.rm2", Role.RELATIONSHIP_MANAGER, branch=BJ)
    return "bj.rm2"


async def visibility(bank: Bank, username: str, customer: dict[str, Any]) -> tuple[bool, ...]:
    """Whether ``username`` finds ``customer`` through customers, customer(id) and node(id)."""
    caller = await bank.sign_in(username)
    listed = names((await caller.data(CUSTOMERS))["customers"])
    return (
        customer["name"] in listed,
        await found_by_customer(caller, customer),
        await found_by_node(caller, customer),
    )


async def test_a_relationship_manager_sees_a_customer_shared_with_them(bank, trio, colleague):
    await bank.share(trio["managed"], colleague)

    assert await visibility(bank, colleague, trio["managed"]) == (True, True, True)


async def test_a_relationship_manager_sees_no_customer_of_another_manager_unshared(
    bank, trio, colleague
):
    assert await visibility(bank, colleague, trio["managed"]) == (False, False, False)


async def test_an_expired_share_shows_nothing(bank, trio, colleague):
    await bank.share(trio["managed"], colleague, lasting=-timedelta(seconds=1))

    assert await visibility(bank, colleague, trio["managed"]) == (False, False, False)


async def test_a_revoked_share_shows_nothing(bank, trio, colleague):
    await bank.share(trio["managed"], colleague, revoked=True)

    assert await visibility(bank, colleague, trio["managed"]) == (False, False, False)


async def test_a_share_shows_the_customer_to_that_colleague_only(bank, trio, colleague):
    await bank.share(trio["managed"], "bj.manager")

    assert await visibility(bank, colleague, trio["managed"]) == (False, False, False)


async def test_a_share_reaches_across_branches(bank, trio):
    await bank.share(trio["shanghai"], "bj.teller")

    assert await visibility(bank, "bj.teller", trio["shanghai"]) == (True, True, True)
