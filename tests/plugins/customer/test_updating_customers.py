"""``updateCustomer``: a name or contact detail changed, checked as at registration."""

from __future__ import annotations

from typing import Any

import pytest

from core.authorization import Role
from tests.plugins.customer.conftest import (
    BJ,
    CUSTOMER,
    Bank,
    codes_and_fields,
    error_codes,
    global_id,
)

UPDATE = """
mutation($input: UpdateCustomerInput!) {
  updateCustomer(input: $input) {
    customer { name phone email }
    errors { field message code }
  }
}
"""
BEFORE = {"name": "王小明", "phone": "13812345678", "email": "xiaoming@example.com"}


@pytest.fixture
async def customer(bank: Bank) -> dict[str, Any]:
    """A customer of BJ-001 managed by ``bj.rm``."""
    return await bank.register(by="bj.rm", **BEFORE)


async def update(bank: Bank, by: str, customer: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The updateCustomer payload."""
    caller = await bank.sign_in(by)
    body = await caller.data(UPDATE, {"input": {"id": customer["id"], **changes}})
    return body["updateCustomer"]


async def stored(bank: Bank, customer: dict[str, Any]) -> dict[str, Any]:
    admin = await bank.sign_in("admin")
    found = (await admin.data(CUSTOMER, {"id": customer["id"]}))["customer"]
    return {key: found[key] for key in BEFORE}


@pytest.mark.parametrize(
    ("changes", "after"),
    [
        ({"name": "王晓明"}, {"name": "王晓明"}),
        ({"name": " 王晓明  "}, {"name": "王晓明"}),
        ({"phone": "+86 139 0000 0000"}, {"phone": "13900000000"}),
        ({"email": "Ming@Example.CN"}, {"email": "Ming@example.cn"}),
        ({"phone": "", "email": " "}, {"phone": None, "email": None}),
        ({}, {}),
    ],
    ids=["name", "name-trimmed", "phone", "email", "blank-removes", "nothing"],
)
async def test_the_details_given_change_and_the_rest_stay(bank, customer, changes, after):
    payload = await update(bank, "bj.rm", customer, **changes)

    assert payload == {"customer": BEFORE | after, "errors": []}
    assert await stored(bank, customer) == BEFORE | after


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"phone": "12812345678"}, "INVALID_PHONE", "phone"),
        ({"email": "ming@"}, "INVALID_EMAIL", "email"),
        ({"name": "  "}, "REQUIRED", "name"),
        ({"name": "王" * 101}, "TOO_LONG", "name"),
        ({"name": "王\x1b小明"}, "INVALID_CHARACTERS", "name"),
    ],
)
async def test_bad_input_is_refused_at_its_field_and_nothing_changes(
    bank, customer, changes, code, field
):
    payload = await update(bank, "bj.rm", customer, **{"name": "王晓明", **changes})

    assert payload["customer"] is None
    assert codes_and_fields(payload) == [(code, ["input", field])]
    assert await stored(bank, customer) == BEFORE


async def test_a_closed_customer_cannot_be_changed(bank, customer):
    await bank.change(customer, status="CLOSED")

    payload = await update(bank, "bj.rm", customer, name="王晓明")

    assert codes_and_fields(payload) == [("CUSTOMER_CLOSED", ["input", "id"])]
    assert await stored(bank, customer) == BEFORE


async def test_a_customer_out_of_scope_looks_missing(bank, customer):
    await bank.add_staff("bj.rm2", Role.RELATIONSHIP_MANAGER, branch=BJ)
    missing = {"id": global_id("Customer", await bank.customer_id(customer) + 1000)}

    out_of_scope = await update(bank, "bj.rm2", customer, name="王晓明")
    not_there = await update(bank, "bj.rm2", missing, name="王晓明")

    assert out_of_scope == not_there
    assert codes_and_fields(out_of_scope) == [("NOT_FOUND", ["input", "id"])]
    assert await stored(bank, customer) == BEFORE


async def test_a_colleague_the_customer_is_shared_with_may_change_them(bank, customer):
    await bank.add_staff("bj.rm2", Role.RELATIONSHIP_MANAGER, branch=BJ)
    await bank.share(customer, "bj.rm2")

    payload = await update(bank, "bj.rm2", customer, name="王晓明")

    assert payload["errors"] == []


@pytest.mark.parametrize("by", ["bj.teller", "bj.agent", "marketing", "auditor"])
async def test_who_only_reads_customers_may_not_change_one(bank, customer, by):
    caller = await bank.sign_in(by)

    body = await caller.execute(UPDATE, {"input": {"id": customer["id"], "name": "王晓明"}})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await stored(bank, customer) == BEFORE
