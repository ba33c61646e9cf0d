"""``createCustomer``: who may register whom, what is checked, and one customer per identity."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from plugins.customer.models import Customer, ManagerAssignment
from tests.plugins.customer.conftest import (
    BJ,
    CREATE_CUSTOMER,
    SH,
    Bank,
    codes_and_fields,
    credit_code,
    customer_input,
    error_codes,
    resident_id,
)


async def create(bank: Bank, by: str, **changes: Any) -> dict[str, Any]:
    """The createCustomer payload."""
    caller = await bank.sign_in(by)
    body = await caller.data(CREATE_CUSTOMER, {"input": customer_input(**changes)})
    return body["createCustomer"]


def error_codes_of(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def test_an_individual_is_registered_with_birth_date_and_gender_from_the_id(bank):
    payload = await create(bank, "admin")

    customer = payload["customer"]
    del customer["id"], customer["customerNo"]
    assert payload["errors"] == []
    assert customer == {
        "kind": "INDIVIDUAL",
        "name": "王小明",
        "idNumber": "110101199003071233",
        "phone": "13812345678",
        "email": "xiaoming@example.com",
        "birthDate": "1990-03-07",
        "gender": "MALE",
        "tier": "MASS",
        "status": "ACTIVE",
        "branch": {"code": BJ},
        "relationshipManager": None,
    }


async def test_a_woman_is_registered_female(bank):
    payload = await create(bank, "admin", idNumber="11010519491231002X")

    assert payload["customer"]["gender"] == "FEMALE"
    assert payload["customer"]["birthDate"] == "1949-12-31"


async def test_a_company_is_registered_by_its_credit_code_without_birth_date_or_gender(bank):
    payload = await create(
        bank, "admin", kind="CORPORATE", name="北京星辰科技有限公司", idNumber="91350100M000100Y43"
    )

    customer = payload["customer"]
    assert (customer["kind"], customer["idNumber"]) == ("CORPORATE", "91350100M000100Y43")
    assert (customer["birthDate"], customer["gender"]) == (None, None)


@pytest.mark.parametrize(
    ("changes", "stored"),
    [
        ({"name": "  王小明 "}, {"name": "王小明"}),
        ({"idNumber": "11010519491231002x"}, {"idNumber": "11010519491231002X"}),
        ({"idNumber": " 110101 19900307 1233 "}, {"idNumber": "110101199003071233"}),
        (
            {"kind": "CORPORATE", "name": "星辰科技", "idNumber": "9135 0100 m000 100y 43"},
            {"idNumber": "91350100M000100Y43"},
        ),
        ({"phone": "+86 138-1234-5678"}, {"phone": "13812345678"}),
        ({"email": " Xiao.Ming@Example.COM "}, {"email": "Xiao.Ming@example.com"}),
        ({"phone": "", "email": "  "}, {"phone": None, "email": None}),
        ({"phone": None, "email": None}, {"phone": None, "email": None}),
        ({"branchCode": " bj-001 "}, {"branch": {"code": BJ}}),
    ],
    ids=[
        "name-trimmed",
        "lower-case-x",
        "id-spaces",
        "credit-code-lower-case-spaces",
        "phone-country-code",
        "email-domain",
        "blank-contacts",
        "no-contacts",
        "branch-code",
    ],
)
async def test_input_is_stored_in_its_canonical_spelling(bank, changes, stored):
    customer = (await create(bank, "admin", **changes))["customer"]

    assert {key: customer[key] for key in stored} == stored


async def test_a_name_of_100_characters_is_accepted(bank):
    payload = await create(bank, "admin", name="王" * 100)

    assert payload["errors"] == []


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"idNumber": "110101199003071234"}, "INVALID_ID_NUMBER", "idNumber"),
        ({"idNumber": resident_id(1)[:-1]}, "INVALID_ID_NUMBER", "idNumber"),
        ({"idNumber": "11010119900230123X"}, "INVALID_ID_NUMBER", "idNumber"),
        ({"idNumber": "110101209901011235"}, "INVALID_ID_NUMBER", "idNumber"),
        ({"idNumber": credit_code(1)}, "INVALID_ID_NUMBER", "idNumber"),
        ({"kind": "CORPORATE", "idNumber": resident_id(1)}, "INVALID_ID_NUMBER", "idNumber"),
        ({"kind": "CORPORATE", "idNumber": "91350100M000100Y44"}, "INVALID_ID_NUMBER", "idNumber"),
        ({"phone": "12812345678"}, "INVALID_PHONE", "phone"),
        ({"phone": "1381234567"}, "INVALID_PHONE", "phone"),
        ({"phone": "+852 138 1234 5678"}, "INVALID_PHONE", "phone"),
        ({"email": "xiaoming"}, "INVALID_EMAIL", "email"),
        ({"email": "xiao ming@example.com"}, "INVALID_EMAIL", "email"),
        ({"name": ""}, "REQUIRED", "name"),
        ({"name": " \u3000 "}, "REQUIRED", "name"),
        ({"name": "王" * 101}, "TOO_LONG", "name"),
        ({"name": "王\x1b小明"}, "INVALID_CHARACTERS", "name"),
        ({"name": "王\n小明"}, "INVALID_CHARACTERS", "name"),
        ({"branchCode": "GZ-001"}, "NOT_FOUND", "branchCode"),
        ({"branchCode": ""}, "NOT_FOUND", "branchCode"),
    ],
    ids=[
        "id-check-character",
        "id-17-characters",
        "id-february-30",
        "id-born-in-2099",
        "individual-with-credit-code",
        "company-with-resident-id",
        "credit-code-check-character",
        "phone-not-mobile",
        "phone-10-digits",
        "phone-hong-kong",
        "email-without-at",
        "email-with-space",
        "name-empty",
        "name-blank",
        "name-101-characters",
        "name-escape",
        "name-newline",
        "branch-unknown",
        "branch-empty",
    ],
)
async def test_bad_input_is_refused_at_its_field_and_nothing_is_written(bank, changes, code, field):
    payload = await create(bank, "admin", **changes)

    assert payload["customer"] is None
    assert codes_and_fields(payload) == [(code, ["input", field])]
    assert await bank.count(Customer) == 0


async def test_the_second_registration_of_an_identity_is_refused_with_the_first_customer_no(bank):
    first = (await create(bank, "admin", idNumber="11010519491231002X"))["customer"]

    payload = await create(
        bank, "admin", name="王晓明", idNumber="110105 19491231 002x", phone="13900000000"
    )

    assert codes_and_fields(payload) == [("DUPLICATE_CUSTOMER", ["input", "idNumber"])]
    assert first["customerNo"] in payload["errors"][0]["message"]
    assert await bank.count(Customer) == 1


async def test_of_two_registrations_of_one_identity_at_the_same_time_one_is_refused(bank):
    admin = await bank.sign_in("admin")

    bodies = await asyncio.gather(
        *(admin.data(CREATE_CUSTOMER, {"input": customer_input()}) for _ in range(2))
    )

    outcomes = sorted(error_codes_of(body["createCustomer"]) for body in bodies)
    assert outcomes == [[], ["DUPLICATE_CUSTOMER"]]
    assert await bank.count(Customer) == 1


async def test_a_company_is_registered_once(bank):
    company = {"kind": "CORPORATE", "name": "星辰科技", "idNumber": credit_code(7)}
    await create(bank, "admin", **company)

    payload = await create(bank, "admin", **company | {"idNumber": credit_code(7).lower()})

    assert error_codes_of(payload) == ["DUPLICATE_CUSTOMER"]
    assert await bank.count(Customer) == 1


async def test_an_identity_registered_in_another_branch_is_still_a_duplicate(bank):
    await create(bank, "admin", branchCode=SH)

    payload = await create(bank, "bj.manager", branchCode=BJ)

    assert error_codes_of(payload) == ["DUPLICATE_CUSTOMER"]
    assert await bank.count(Customer) == 1


async def test_a_closed_customer_keeps_their_identity(bank):
    closed = (await create(bank, "admin"))["customer"]
    await bank.change(closed, status="CLOSED")

    payload = await create(bank, "admin")

    assert error_codes_of(payload) == ["DUPLICATE_CUSTOMER"]
    assert closed["customerNo"] in payload["errors"][0]["message"]


@pytest.mark.parametrize("username", ["bj.manager", "bj.rm"])
async def test_branch_staff_register_in_their_own_branch(bank, username):
    payload = await create(bank, username, branchCode=BJ)

    assert payload["customer"]["branch"] == {"code": BJ}


@pytest.mark.parametrize("username", ["bj.manager", "bj.rm"])
async def test_another_branch_is_not_found_for_branch_staff_and_nothing_is_written(bank, username):
    payload = await create(bank, username, branchCode=SH)

    assert codes_and_fields(payload) == [("NOT_FOUND", ["input", "branchCode"])]
    assert await bank.count(Customer) == 0


async def test_head_office_registers_in_any_branch(bank):
    payload = await create(bank, "admin", branchCode=SH)

    assert payload["customer"]["branch"] == {"code": SH}


@pytest.mark.parametrize("username", ["auditor", "marketing", "bj.teller", "bj.agent"])
async def test_who_only_reads_customers_may_not_register_one(bank, username):
    caller = await bank.sign_in(username)

    body = await caller.execute(CREATE_CUSTOMER, {"input": customer_input()})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(Customer) == 0


async def test_registering_needs_a_signed_in_caller(bank):
    body = await bank.client.execute(CREATE_CUSTOMER, {"input": customer_input()})

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await bank.count(Customer) == 0


async def test_a_refused_registration_records_no_manager_assignment(bank):
    await create(bank, "bj.rm", phone="12812345678")

    assert await bank.count(ManagerAssignment) == 0
