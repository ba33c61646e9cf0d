"""Converting a won lead: the customer plugin registers the prospect as a
customer of the lead's branch, with the lead's name and contact details,
looked after by the lead's owner; a lead is converted once, and whatever the
customer plugin refuses is refused with its code, changing nothing."""

from __future__ import annotations

import pytest

from plugins.customer.models import Customer
from tests.plugins.customer.conftest import (
    BJ,
    CUSTOMER,
    SH,
    credit_code,
    error_codes,
    resident_id,
)
from tests.plugins.marketing.conftest import codes
from tests.plugins.marketing.prospects import CONVERT_LEAD, convert, lead_at, read_lead

PERSON = resident_id(777)


async def test_a_won_lead_becomes_a_customer_seen_through_the_customer_api(bank):
    lead = await lead_at(bank, "WON", name="张伟", phone="13900001111", email="zw@example.com")

    payload = await convert(bank, lead, PERSON)

    assert payload["errors"] == []
    caller = await bank.sign_in("bj.rm")
    customer = (await caller.data(CUSTOMER, {"id": payload["customer"]["id"]}))["customer"]
    assert customer["name"] == "张伟"
    assert customer["idNumber"] == PERSON
    assert (customer["phone"], customer["email"]) == ("13900001111", "zw@example.com")
    assert customer["kind"] == "INDIVIDUAL"
    assert customer["branch"] == {"code": BJ}
    assert customer["relationshipManager"] == {"username": "bj.rm"}
    assert payload["lead"]["customer"]["customerNo"] == customer["customerNo"]
    assert (await read_lead(bank, lead))["customer"]["id"] == customer["id"]  # type: ignore[index]


async def test_the_lead_s_owner_looks_after_the_customer_whoever_converts_it(bank):
    lead = await lead_at(bank, "WON", "bj.rm")

    payload = await convert(bank, lead, PERSON, by="bj.manager")

    assert payload["errors"] == []
    assert payload["lead"]["customer"]["relationshipManager"] == {"username": "bj.rm"}


async def test_head_office_converts_a_branch_s_lead_into_that_branch(bank):
    lead = await lead_at(bank, "WON", "sh.manager")

    payload = await convert(bank, lead, PERSON, by="admin")

    assert payload["errors"] == []
    assert payload["lead"]["customer"]["branch"] == {"code": SH}
    assert payload["lead"]["customer"]["relationshipManager"] is None  # a branch manager's lead


async def test_a_company_lead_becomes_a_corporate_customer_by_its_credit_code(bank):
    lead = await lead_at(bank, "WON", name="北京某某科技有限公司", kind="CORPORATE")

    payload = await convert(bank, lead, credit_code(5))

    assert payload["errors"] == []
    assert payload["lead"]["customer"]["name"] == "北京某某科技有限公司"


@pytest.mark.parametrize("stage", ["NEW", "CONTACTED", "QUALIFIED", "PROPOSAL", "LOST"])
async def test_only_a_won_lead_is_converted(bank, stage):
    lead = await lead_at(bank, stage)

    payload = await convert(bank, lead, PERSON)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("LEAD_NOT_WON", ["input", "leadId"])
    ]
    assert await bank.count(Customer) == 0


async def test_a_lead_is_converted_once(bank):
    lead = await lead_at(bank, "WON")
    first = await convert(bank, lead, PERSON)

    again = await convert(bank, lead, resident_id(778))

    assert codes(first) == []
    assert codes(again) == ["ALREADY_CONVERTED"]
    assert await bank.count(Customer) == 1


async def test_an_identity_already_a_customer_is_refused_with_the_customer_plugin_s_code(bank):
    await bank.register(idNumber=PERSON)
    lead = await lead_at(bank, "WON")

    payload = await convert(bank, lead, PERSON)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("DUPLICATE_CUSTOMER", ["input", "idNumber"])
    ]
    assert await bank.count(Customer) == 1
    assert (await read_lead(bank, lead))["customer"] is None  # type: ignore[index]
    assert codes(await convert(bank, lead, resident_id(779))) == []  # still convertible


async def test_an_invalid_identity_number_is_refused(bank):
    lead = await lead_at(bank, "WON")

    payload = await convert(bank, lead, "110101199003071234")  # wrong check character

    assert codes(payload) == ["INVALID_ID_NUMBER"]
    assert await bank.count(Customer) == 0


async def test_another_branch_s_lead_looks_missing(bank):
    lead = await lead_at(bank, "WON", "bj.rm")

    payload = await convert(bank, lead, PERSON, by="sh.manager")

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("NOT_FOUND", ["input", "leadId"])
    ]
    assert await bank.count(Customer) == 0


@pytest.mark.parametrize("user", ["marketing", "auditor", "bj.teller"])
async def test_only_staff_who_work_leads_convert_them(bank, user):
    lead = await lead_at(bank, "WON")
    caller = await bank.sign_in(user)

    body = await caller.execute(CONVERT_LEAD, {"input": {"leadId": lead["id"], "idNumber": PERSON}})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(Customer) == 0
