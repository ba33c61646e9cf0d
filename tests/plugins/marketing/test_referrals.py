"""Referrals: a manager refers a customer to a specialist team; a specialist
(a relationship manager other than the referrer) accepts it, and then sees
the customer, or declines it; the specialist who accepted it closes it as WON
or LOST with what came of it."""

from __future__ import annotations

from typing import Any

import pytest

from core.authorization import Role
from plugins.marketing.leads.models import Referral
from tests.plugins.customer.conftest import BJ, SH, Bank, error_codes, global_id
from tests.plugins.marketing.conftest import codes
from tests.plugins.marketing.prospects import new_lead, read_lead

REFERRAL_FIELDS = """
  id team reason status outcome closedAt amount { amount currency }
  customer { customerNo } referredBy { username } specialist { username }
"""
REFER = f"""
mutation($input: ReferCustomerInput!) {{
  referCustomer(input: $input) {{ referral {{ {REFERRAL_FIELDS} }} errors {{ code field }} }}
}}
"""
ACT = {
    name: f"""
mutation($input: {input}!) {{
  {name}(input: $input) {{ referral {{ {REFERRAL_FIELDS} }} errors {{ code field }} }}
}}
"""
    for name, input in (
        ("acceptReferral", "ReferralInput"),
        ("declineReferral", "DeclineReferralInput"),
        ("closeReferral", "CloseReferralInput"),
    )
}
REFERRAL = f"query($id: ID!) {{ referral(id: $id) {{ {REFERRAL_FIELDS} }} }}"
REFERRALS = """
query($status: [ReferralStatus!], $team: [SpecialistTeam!]) {
  referrals(status: $status, team: $team) {
    totalCount edges { node { team status customer { customerNo } } }
  }
}
"""


@pytest.fixture
async def specialist(bank: Bank) -> str:
    """``bj.advisor``: a relationship manager of BJ-001 who manages nobody yet."""
    await bank.add_staff("bj.advisor", Role.RELATIONSHIP_MANAGER, branch=BJ)
    return "bj.advisor"


async def refer(
    bank: Bank, customer: dict[str, Any], by: str = "bj.rm", team: str = "WEALTH_ADVISORY", **input
) -> dict[str, Any]:
    caller = await bank.sign_in(by)
    given = {"customerId": customer["id"], "team": team, "reason": "客户有大额闲置资金"} | input
    return (await caller.data(REFER, {"input": given}))["referCustomer"]


async def referred(bank: Bank, by: str = "bj.rm", **input: Any) -> dict[str, Any]:
    """A customer of ``by`` referred by them; the open referral."""
    branch = SH if by.startswith("sh.") else BJ
    customer = await bank.register(by=by, branchCode=branch)
    payload = await refer(bank, customer, by, **input)
    assert payload["errors"] == [], payload["errors"]
    return payload["referral"]


async def act(
    bank: Bank, action: str, referral: dict[str, Any], by: str, **input: Any
) -> dict[str, Any]:
    caller = await bank.sign_in(by)
    body = await caller.data(ACT[action], {"input": {"referralId": referral["id"]} | input})
    return body[action]


async def accepted(bank: Bank, by: str) -> dict[str, Any]:
    payload = await act(bank, "acceptReferral", await referred(bank), by)
    assert payload["errors"] == [], payload["errors"]
    return payload["referral"]


async def read(bank: Bank, referral: dict[str, Any], by: str) -> dict[str, Any] | None:
    caller = await bank.sign_in(by)
    return (await caller.data(REFERRAL, {"id": referral["id"]}))["referral"]


# ------------------------------------------------------------------ the lifecycle


async def test_a_referral_is_open_with_its_team_reason_and_referrer(bank):
    customer = await bank.register(by="bj.rm")

    payload = await refer(bank, customer, team="INSURANCE")

    assert payload["errors"] == []
    referral = payload["referral"]
    assert referral["status"] == "OPEN"
    assert referral["team"] == "INSURANCE"
    assert referral["reason"] == "客户有大额闲置资金"
    assert referral["referredBy"] == {"username": "bj.rm"}
    assert referral["customer"] == {"customerNo": customer["customerNo"]}
    assert (referral["specialist"], referral["outcome"], referral["closedAt"]) == (None, None, None)


async def test_a_specialist_accepts_then_sees_the_customer_and_closes_it_won(bank, specialist):
    referral = await referred(bank)
    before = await read(bank, referral, specialist)

    taken = await act(bank, "acceptReferral", referral, specialist)
    won = await act(
        bank,
        "closeReferral",
        referral,
        specialist,
        result="WON",
        outcome="购买了理财",
        amount="500000",
    )

    assert before is not None
    assert before["status"] == "OPEN"
    assert before["customer"] is None  # not theirs, until they take the referral
    assert taken["errors"] == []
    assert taken["referral"]["status"] == "ACCEPTED"
    assert taken["referral"]["specialist"] == {"username": specialist}
    assert taken["referral"]["customer"] == referral["customer"]  # shared with them now
    assert won["errors"] == []
    assert won["referral"]["status"] == "WON"
    assert won["referral"]["outcome"] == "购买了理财"
    assert won["referral"]["amount"] == {"amount": "500000.00", "currency": "CNY"}
    assert won["referral"]["closedAt"] is not None


async def test_a_lost_referral_says_what_came_of_it_and_has_no_amount(bank, specialist):
    referral = await accepted(bank, specialist)

    with_amount = await act(
        bank, "closeReferral", referral, specialist, result="LOST", outcome="不感兴趣", amount="1"
    )
    lost = await act(bank, "closeReferral", referral, specialist, result="LOST", outcome="不感兴趣")

    assert [(e["code"], e["field"]) for e in with_amount["errors"]] == [
        ("AMOUNT_NOT_EXPECTED", ["input", "amount"])
    ]
    assert lost["errors"] == []
    assert (lost["referral"]["status"], lost["referral"]["amount"]) == ("LOST", None)


async def test_a_declined_referral_keeps_the_reason_and_is_final(bank, specialist):
    referral = await referred(bank)

    declined = await act(bank, "declineReferral", referral, specialist, reason="不属于本团队业务")
    then_accepted = await act(bank, "acceptReferral", referral, specialist)

    assert declined["errors"] == []
    assert declined["referral"]["status"] == "DECLINED"
    assert declined["referral"]["outcome"] == "不属于本团队业务"
    assert declined["referral"]["specialist"] == {"username": specialist}
    assert codes(then_accepted) == ["ILLEGAL_TRANSITION"]


STARTED_BY = {
    "OPEN": [],
    "ACCEPTED": [("acceptReferral", {})],
    "DECLINED": [("declineReferral", {"reason": "不合适"})],
    "WON": [("acceptReferral", {}), ("closeReferral", {"result": "WON", "outcome": "成交"})],
    "LOST": [("acceptReferral", {}), ("closeReferral", {"result": "LOST", "outcome": "未成交"})],
}
MOVES = {
    "acceptReferral": {},
    "declineReferral": {"reason": "不合适"},
    "closeReferral": {"result": "WON", "outcome": "成交"},
}
ALLOWED = {("OPEN", "acceptReferral"), ("OPEN", "declineReferral"), ("ACCEPTED", "closeReferral")}


@pytest.mark.parametrize("start", STARTED_BY)
async def test_every_move_from_a_status_is_allowed_or_refused(bank, specialist, start):
    for action, input in MOVES.items():
        referral = await referred(bank)
        for step, given in STARTED_BY[start]:
            assert (await act(bank, step, referral, specialist, **given))["errors"] == []
        before = await read(bank, referral, specialist)

        payload = await act(bank, action, referral, specialist, **input)

        if (start, action) in ALLOWED:
            assert payload["errors"] == [], (start, action)
        else:
            assert codes(payload) == ["ILLEGAL_TRANSITION"], (start, action)
            assert await read(bank, referral, specialist) == before


# ------------------------------------------------------------------ refusals


async def test_the_referrer_does_not_take_their_own_referral(bank):
    referral = await referred(bank, "bj.rm")

    payload = await act(bank, "acceptReferral", referral, "bj.rm")
    declined = await act(bank, "declineReferral", referral, "bj.rm", reason="自己不接")

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("OWN_REFERRAL", ["input", "referralId"])
    ]
    assert codes(declined) == ["OWN_REFERRAL"]


async def test_only_the_specialist_who_accepted_it_closes_it(bank, specialist):
    await bank.add_staff("bj.advisor2", Role.RELATIONSHIP_MANAGER, branch=BJ)
    referral = await accepted(bank, specialist)
    closing = {"result": "WON", "outcome": "成交", "amount": "100"}

    by_head_office = await act(bank, "closeReferral", referral, "admin", **closing)
    by_a_colleague = await act(bank, "closeReferral", referral, "bj.advisor2", **closing)

    assert codes(by_head_office) == ["NOT_YOUR_REFERRAL"]
    assert codes(by_a_colleague) == ["NOT_FOUND"]  # no longer open: not theirs to see
    assert (await read(bank, referral, specialist))["status"] == "ACCEPTED"  # type: ignore[index]


@pytest.mark.parametrize("amount", ["0", "-1", "1.001"])
async def test_a_won_amount_is_a_positive_amount_of_money(bank, specialist, amount):
    referral = await accepted(bank, specialist)

    payload = await act(
        bank, "closeReferral", referral, specialist, result="WON", outcome="成交", amount=amount
    )

    assert codes(payload) == ["INVALID_AMOUNT"]


@pytest.mark.parametrize(
    ("action", "input", "field"),
    [
        ("declineReferral", {"reason": " "}, "reason"),
        ("closeReferral", {"result": "LOST", "outcome": ""}, "outcome"),
    ],
)
async def test_a_decline_needs_a_reason_and_a_close_an_outcome(
    bank, specialist, action, input, field
):
    referral = await referred(bank)
    if action == "closeReferral":
        await act(bank, "acceptReferral", referral, specialist)

    payload = await act(bank, action, referral, specialist, **input)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("REQUIRED", ["input", field])]


async def test_a_customer_has_one_open_referral_per_team(bank):
    customer = await bank.register(by="bj.rm")
    await refer(bank, customer, team="LENDING")

    again = await refer(bank, customer, team="LENDING")
    other_team = await refer(bank, customer, team="INSURANCE")

    assert [(e["code"], e["field"]) for e in again["errors"]] == [
        ("REFERRAL_ALREADY_OPEN", ["input", "team"])
    ]
    assert other_team["errors"] == []
    assert await bank.count(Referral) == 2


async def test_a_referral_needs_a_reason(bank):
    customer = await bank.register(by="bj.rm")

    payload = await refer(bank, customer, reason="  ")

    assert codes(payload) == ["REQUIRED"]
    assert await bank.count(Referral) == 0


async def test_a_customer_out_of_the_referrer_s_scope_looks_missing(bank):
    shanghai = await bank.register(branchCode=SH)
    unmanaged = await bank.register()  # of BJ, not bj.rm's

    payloads = [await refer(bank, shanghai, "bj.manager"), await refer(bank, unmanaged, "bj.rm")]

    assert [codes(payload) for payload in payloads] == [["NOT_FOUND"], ["NOT_FOUND"]]
    assert await bank.count(Referral) == 0


# ------------------------------------------------------------------ who sees what


async def test_another_branch_s_specialist_neither_sees_nor_takes_a_referral(bank):
    referral = await referred(bank)

    payload = await act(bank, "acceptReferral", referral, "sh.rm")

    assert await read(bank, referral, "sh.rm") is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("NOT_FOUND", ["input", "referralId"])
    ]


async def test_a_specialist_sees_the_branch_s_open_referrals_and_those_they_took(bank, specialist):
    taken = await accepted(bank, specialist)
    closed = await accepted(bank, specialist)
    await act(bank, "closeReferral", closed, specialist, result="LOST", outcome="未成交")
    await referred(bank)  # open
    declined_by_another = await referred(bank, team="INSURANCE")
    await act(bank, "declineReferral", declined_by_another, "admin", reason="不合适")
    caller = await bank.sign_in(specialist)

    seen = (await caller.data(REFERRALS))["referrals"]
    open_only = (await caller.data(REFERRALS, {"status": ["OPEN"]}))["referrals"]

    assert [e["node"]["status"] for e in seen["edges"]] == ["OPEN", "LOST", "ACCEPTED"]
    assert seen["edges"][2]["node"]["customer"] == taken["customer"]
    assert open_only["totalCount"] == 1


async def test_branch_staff_see_their_customers_referrals_and_head_office_sees_all(bank):
    await referred(bank, "bj.rm")
    await referred(bank, "sh.rm", team="CORPORATE")

    def teams(body: dict[str, Any]) -> list[str]:
        return [edge["node"]["team"] for edge in body["referrals"]["edges"]]

    bj = await (await bank.sign_in("bj.manager")).data(REFERRALS)
    everyone = await (await bank.sign_in("admin")).data(REFERRALS)
    corporate = await (await bank.sign_in("auditor")).data(REFERRALS, {"team": ["CORPORATE"]})

    assert teams(bj) == ["WEALTH_ADVISORY"]
    assert teams(everyone) == ["CORPORATE", "WEALTH_ADVISORY"]
    assert teams(corporate) == ["CORPORATE"]


async def test_a_referral_id_of_another_type_is_no_referral(bank):
    caller = await bank.sign_in("admin")

    body = await caller.data(REFERRAL, {"id": global_id("Lead", 1)})

    assert body["referral"] is None


# ------------------------------------------------------------------ permissions


@pytest.mark.parametrize("user", ["bj.teller", "bj.agent", "marketing"])
async def test_only_managers_refer_customers(bank, user):
    customer = await bank.register()
    caller = await bank.sign_in(user)

    body = await caller.execute(
        REFER, {"input": {"customerId": customer["id"], "team": "LENDING", "reason": "贷款需求"}}
    )

    assert error_codes(body) == ["FORBIDDEN"]


@pytest.mark.parametrize("user", ["bj.manager", "bj.teller", "auditor"])
async def test_only_specialists_take_referrals(bank, user):
    referral = await referred(bank)
    caller = await bank.sign_in(user)

    body = await caller.execute(ACT["acceptReferral"], {"input": {"referralId": referral["id"]}})

    assert error_codes(body) == ["FORBIDDEN"]


# ------------------------------------------------------------------ merging customers

MERGE = """
mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { errors { code } } }
"""


async def test_a_merge_moves_the_duplicate_s_referrals_and_referred_prospects_to_the_survivor(
    bank,
):
    survivor = await bank.register(by="bj.rm")
    duplicate = await bank.register(by="bj.rm")
    referral = (await refer(bank, duplicate, team="LENDING"))["referral"]
    lead = await new_lead(bank, source="REFERRAL", referredByCustomerId=duplicate["id"])
    caller = await bank.sign_in("admin")

    body = await caller.data(
        MERGE, {"input": {"survivorId": survivor["id"], "duplicateId": duplicate["id"]}}
    )

    assert body["mergeCustomers"]["errors"] == []
    moved = await read(bank, referral, "bj.rm")
    assert moved is not None
    assert moved["customer"] == {"customerNo": survivor["customerNo"]}
    assert (await read_lead(bank, lead))["referredBy"] == {  # type: ignore[index]
        "customerNo": survivor["customerNo"]
    }
