"""Responses: a member of a running campaign moves forward only (TARGETED →
CONTACTED → RESPONDED → CONVERTED or DECLINED), each move recorded with who
and when; consent and, for a sale, suitability and the product's minimum are
checked again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.columns import utcnow
from core.db import Mode
from plugins.marketing.models import Membership, Response
from tests.plugins.customer.conftest import Bank, global_id
from tests.plugins.marketing.conftest import assessed, codes
from tests.plugins.marketing.test_campaigns import (
    campaign_in,
    db_id,
    launched,
    product,
    today,
    withdraw,
)

RESPOND = """
mutation($input: RecordCampaignResponseInput!) {
  recordCampaignResponse(input: $input) { campaign { id status } errors { code field } }
}
"""
CUSTOMER_CAMPAIGNS = """
query($id: ID!) {
  customer(id: $id) {
    campaigns { status convertedAmount { amount currency } campaign { id } }
  }
}
"""
FINAL = ("CONVERTED", "DECLINED")


async def respond(
    bank: Bank,
    campaign: dict[str, Any],
    customer: dict[str, Any],
    status: str,
    by: str = "bj.teller",
    **more: Any,
) -> dict[str, Any]:
    """Record the customer's response to the campaign; the payload."""
    given = {"campaignId": campaign["id"], "customerId": customer["id"], "status": status}
    caller = await bank.sign_in(by)
    body = await caller.data(RESPOND, {"input": given | more})
    return body["recordCampaignResponse"]


async def moved(bank: Bank, campaign, customer, *statuses: str, **more: Any) -> None:
    """Record each of ``statuses`` in turn, every one accepted."""
    for status in statuses:
        payload = await respond(bank, campaign, customer, status, **more)
        assert payload["errors"] == [], (status, payload["errors"])


async def membership(bank: Bank, campaign, customer) -> dict[str, Any]:
    """The customer's membership of the campaign, as ``Customer.campaigns`` shows it."""
    caller = await bank.sign_in("admin")
    body = await caller.data(CUSTOMER_CAMPAIGNS, {"id": customer["id"]})
    (found,) = [m for m in body["customer"]["campaigns"] if m["campaign"]["id"] == campaign["id"]]
    return found


async def status_of(bank: Bank, campaign, customer) -> str:
    return (await membership(bank, campaign, customer))["status"]


async def responses(bank: Bank, campaign, customer) -> list[Response]:
    """The Response rows of the customer's membership, in order."""
    customer_id = await bank.customer_id(customer)
    async with bank.runtime.database.transaction(Mode.READ) as session:
        rows = await session.scalars(
            select(Response)
            .join(Membership, Membership.id == Response.membership_id)
            .where(Membership.campaign_id == db_id(campaign), Membership.customer_id == customer_id)
            .order_by(Response.id)
        )
        return list(rows)


async def member(bank: Bank) -> tuple[dict[str, Any], dict[str, Any]]:
    """A running SMS campaign, and the BJ customer it targets."""
    customer = await bank.register()
    return await launched(bank, customer), customer


async def product_campaign(bank: Bank, assessed_days_ago: int = 0):
    """A C3 customer, assessed ``assessed_days_ago`` days ago, in a running campaign
    for an R3 product sold from 10,000 CNY."""
    customer = await bank.register()
    await assessed(bank, customer, "C3", on=today(bank) - timedelta(days=assessed_days_ago))
    code = await product(bank, "TEST-R3", riskLevel="R3", minimumAmount="10000")
    return await launched(bank, customer, productCode=code), customer


async def test_each_response_moves_the_membership_on_and_records_who_and_when(bank):
    campaign, customer = await member(bank)
    await bank.assign(customer, "bj.rm")
    before = utcnow()

    first = await respond(bank, campaign, customer, "CONTACTED", by="bj.teller", note=" 已致电 ")
    after_contact = await status_of(bank, campaign, customer)
    await moved(bank, campaign, customer, "RESPONDED", by="bj.rm")
    after_response = await status_of(bank, campaign, customer)
    await moved(bank, campaign, customer, "CONVERTED", by="bj.manager", amount="50000")

    after = utcnow()
    assert first == {"campaign": {"id": campaign["id"], "status": "RUNNING"}, "errors": []}
    assert (after_contact, after_response) == ("CONTACTED", "RESPONDED")
    assert await membership(bank, campaign, customer) == {
        "status": "CONVERTED",
        "convertedAmount": {"amount": "50000.00", "currency": "CNY"},
        "campaign": {"id": campaign["id"]},
    }
    rows = await responses(bank, campaign, customer)
    users = {user_id: name for name, user_id in bank.user_ids.items()}
    assert [(r.status, users[r.recorded_by], r.note, r.amount) for r in rows] == [
        ("CONTACTED", "bj.teller", "已致电", None),
        ("RESPONDED", "bj.rm", None, None),
        ("CONVERTED", "bj.manager", None, Decimal("50000.00")),
    ]
    moments = [r.recorded_at for r in rows]
    assert before <= moments[0] <= moments[1] <= moments[2] <= after
    async with bank.runtime.database.transaction(Mode.READ) as session:
        row = await session.scalar(select(Membership).where(Membership.id == rows[0].membership_id))
    assert row.updated_by == bank.user_ids["bj.manager"]
    assert before <= row.updated_at <= after


@pytest.mark.parametrize(
    "path",
    [
        ["CONVERTED"],
        ["DECLINED"],
        ["RESPONDED"],
        ["CONTACTED", "DECLINED"],
        ["CONTACTED", "CONVERTED"],
        ["RESPONDED", "DECLINED"],
    ],
)
async def test_a_membership_may_skip_forward(bank, path):
    campaign, customer = await member(bank)

    await moved(bank, campaign, customer, *path)

    assert await status_of(bank, campaign, customer) == path[-1]
    assert [r.status for r in await responses(bank, campaign, customer)] == path


@pytest.mark.parametrize(
    ("path", "then"),
    [
        ([], "TARGETED"),
        (["CONTACTED"], "CONTACTED"),
        (["CONTACTED"], "TARGETED"),
        (["RESPONDED"], "CONTACTED"),
        (["CONVERTED"], "CONVERTED"),
        (["CONVERTED"], "DECLINED"),
        (["CONVERTED"], "RESPONDED"),
        (["DECLINED"], "CONVERTED"),
        (["DECLINED"], "CONTACTED"),
    ],
)
async def test_a_membership_never_moves_back_nor_out_of_a_final_status(bank, path, then):
    campaign, customer = await member(bank)
    await moved(bank, campaign, customer, *path)

    payload = await respond(bank, campaign, customer, then)

    assert codes(payload) == ["ILLEGAL_TRANSITION"]
    assert await status_of(bank, campaign, customer) == (path[-1] if path else "TARGETED")
    assert len(await responses(bank, campaign, customer)) == len(path)


async def test_only_a_member_s_response_is_recorded(bank):
    campaign, _ = await member(bank)
    outsider = await bank.register()

    payload = await respond(bank, campaign, outsider, "CONTACTED")

    assert codes(payload) == ["NOT_A_MEMBER"]
    assert await bank.count(Response) == 0


@pytest.mark.parametrize("status", ["DRAFT", "SCHEDULED", "COMPLETED", "CANCELLED"])
async def test_responses_are_recorded_only_while_the_campaign_runs(bank, status):
    campaign, customer, _ = await campaign_in(bank, status)

    payload = await respond(bank, campaign, customer, "CONTACTED")

    assert codes(payload) == ["CAMPAIGN_NOT_RUNNING"]
    assert await bank.count(Response) == 0


@pytest.mark.parametrize(
    "by",
    [
        pytest.param("sh.teller", id="another branch"),
        pytest.param("bj.rm", id="not in the manager's portfolio"),
    ],
)
async def test_a_customer_out_of_your_scope_is_not_found(bank, by):
    campaign, customer = await member(bank)

    payload = await respond(bank, campaign, customer, "CONTACTED", by=by)

    assert codes(payload) == ["NOT_FOUND"]
    assert await status_of(bank, campaign, customer) == "TARGETED"


async def test_a_response_to_an_unknown_campaign_is_refused(bank):
    campaign, customer = await member(bank)
    unknown = {"id": global_id("Campaign", 99999)}

    payload = await respond(bank, unknown, customer, "CONTACTED")

    assert codes(payload) == ["CAMPAIGN_NOT_FOUND"]
    assert await status_of(bank, campaign, customer) == "TARGETED"


@pytest.mark.parametrize("status", ["CONTACTED", "RESPONDED", "CONVERTED"])
async def test_a_customer_who_opted_out_after_the_launch_is_not_contacted(bank, status):
    campaign, customer = await member(bank)
    await withdraw(bank, customer, "SMS")

    payload = await respond(bank, campaign, customer, status)

    assert codes(payload) == ["CONSENT_WITHDRAWN"]
    assert await status_of(bank, campaign, customer) == "TARGETED"


async def test_a_customer_who_opted_out_after_the_launch_may_still_decline(bank):
    campaign, customer = await member(bank)
    await withdraw(bank, customer, "SMS")

    await moved(bank, campaign, customer, "DECLINED")

    assert await status_of(bank, campaign, customer) == "DECLINED"


async def test_an_opt_out_of_another_channel_does_not_stop_a_contact(bank):
    campaign, customer = await member(bank)
    await withdraw(bank, customer, "EMAIL", "PHONE")

    await moved(bank, campaign, customer, "CONTACTED")

    assert await status_of(bank, campaign, customer) == "CONTACTED"


@pytest.mark.parametrize(
    ("amount", "refusal", "recorded"),
    [
        ("9999.99", "BELOW_MINIMUM_AMOUNT", None),
        ("10000", None, "10000.00"),
        ("250000.50", None, "250000.50"),
        ("-10", "INVALID_AMOUNT", None),
        ("10000.001", "INVALID_AMOUNT", None),
    ],
)
async def test_a_conversion_sells_at_least_the_product_s_minimum(bank, amount, refusal, recorded):
    campaign, customer = await product_campaign(bank)

    payload = await respond(bank, campaign, customer, "CONVERTED", amount=amount)

    assert codes(payload) == ([refusal] if refusal else [])
    found = await membership(bank, campaign, customer)
    assert found["status"] == ("TARGETED" if refusal else "CONVERTED")
    assert found["convertedAmount"] == (recorded and {"amount": recorded, "currency": "CNY"})


async def test_a_conversion_is_refused_once_the_customer_s_assessment_has_expired(bank):
    campaign, customer = await product_campaign(bank, assessed_days_ago=365)  # valid today
    await assessed(bank, customer, "C3", on=today(bank) - timedelta(days=366))  # a day on

    refused = await respond(bank, campaign, customer, "CONVERTED", amount="20000")
    contacted = await respond(bank, campaign, customer, "CONTACTED")
    declined = await respond(bank, campaign, customer, "DECLINED")

    assert codes(refused) == ["RISK_ASSESSMENT_EXPIRED"]
    assert contacted["errors"] == declined["errors"] == []
    assert [r.status for r in await responses(bank, campaign, customer)] == [
        "CONTACTED",
        "DECLINED",
    ]


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        pytest.param({"risk_profile": "C2"}, "UNSUITABLE_PRODUCT", id="reassessed lower"),
        pytest.param(
            {"risk_profile": None, "risk_assessed_on": None},
            "RISK_ASSESSMENT_REQUIRED",
            id="assessment removed",
        ),
    ],
)
async def test_a_conversion_checks_suitability_again(bank, change, refusal):
    campaign, customer = await product_campaign(bank)
    await bank.change(customer, **change)

    payload = await respond(bank, campaign, customer, "CONVERTED", amount="20000")

    assert codes(payload) == [refusal]
    assert await status_of(bank, campaign, customer) == "TARGETED"


async def test_a_conversion_is_refused_once_the_product_is_withdrawn(bank):
    campaign, customer = await product_campaign(bank)
    await product(bank, "TEST-R3", riskLevel="R3", minimumAmount="10000", active=False)

    payload = await respond(bank, campaign, customer, "CONVERTED", amount="20000")

    assert codes(payload) == ["PRODUCT_NOT_ON_SALE"]


@pytest.mark.parametrize("status", ["CONTACTED", "RESPONDED", "DECLINED"])
async def test_only_a_conversion_records_an_amount(bank, status):
    campaign, customer = await member(bank)

    payload = await respond(bank, campaign, customer, status, amount="100")

    assert codes(payload) == ["AMOUNT_NOT_EXPECTED"]
    assert await status_of(bank, campaign, customer) == "TARGETED"
    assert await bank.count(Response) == 0


async def test_a_conversion_of_nothing_is_refused(bank):
    campaign, customer = await product_campaign(bank)

    payload = await respond(bank, campaign, customer, "CONVERTED", amount="0")

    assert codes(payload) in (["INVALID_AMOUNT"], ["BELOW_MINIMUM_AMOUNT"])
    assert await status_of(bank, campaign, customer) == "TARGETED"
