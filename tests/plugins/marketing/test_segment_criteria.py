"""Segment criteria beyond the customer filter: age, products held and not
held, last contact before a day, and balance change since a day. Each selects
exactly the customers it describes, combines with the others and with the
customer filter, is refused with a stable code when it cannot be evaluated,
and a segment's size stays one SQL statement whatever its rules."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.authorization import Principal, Role
from core.db import Mode
from core.pagination import count
from plugins.finance import marketing as finance_marketing
from plugins.marketing.audience import audience_of
from plugins.marketing.criteria import Calendar
from plugins.marketing.models import Campaign, Segment
from tests.plugins.customer.conftest import Bank, credit_code, global_id
from tests.plugins.finance.conftest import Books, books  # noqa: F401  (fixture)
from tests.plugins.marketing.conftest import assessed, codes
from tests.plugins.marketing.test_campaigns import CREATE, act, launched, stored
from tests.plugins.marketing.test_responses import respond
from tests.plugins.marketing.test_segments import SEGMENT, saving

RECORD_CONTACT = """
mutation($input: RecordInteractionInput!) {
  recordInteraction(input: $input) { errors { code } }
}
"""
NAMES = ("甲", "乙", "丙", "丁", "戊")


def today(bank: Bank) -> date:
    return bank.runtime.settings.today()


def years_ago(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


@pytest.fixture
async def people(bank: Bank) -> dict[str, dict[str, Any]]:
    """Four people of BJ-001 and 戊, a company, registered in that order: 甲 is
    40 today, 乙 40 tomorrow, 丙 30 and 丁 60; 甲 and 丁 are WEALTH."""
    now = today(bank)
    born = {
        "甲": years_ago(now, 40),
        "乙": years_ago(now, 40) + timedelta(days=1),
        "丙": years_ago(now, 30),
        "丁": years_ago(now, 60),
    }
    found = {}
    for name, birth_date in born.items():
        found[name] = await bank.register(name=name)
        await bank.change(found[name], birth_date=birth_date)
    for name in ("甲", "丁"):
        await bank.change(found[name], tier="WEALTH")
    found["戊"] = await bank.register(kind="CORPORATE", name="戊", idNumber=credit_code(1))
    return found


async def saving_rules(
    bank: Bank, segment_rules: dict[str, Any], by: str = "marketing"
) -> dict[str, Any]:
    """The ``saveSegment`` payload for a segment of ``segmentRules`` (errors included)."""
    caller = await bank.sign_in(by)
    name = f"客群 {await bank.count(Segment)}"
    body = await caller.data(SAVE_RULES, {"input": {"name": name, "segmentRules": segment_rules}})
    return body["saveSegment"]


SAVE_RULES = """
mutation($input: SaveSegmentInput!) {
  saveSegment(input: $input) {
    segment { id size members(first: 50) { totalCount edges { node { name } } } }
    errors { field message code }
  }
}
"""


async def members_of(bank: Bank, segment_rules: dict[str, Any]) -> list[str]:
    payload = await saving_rules(bank, segment_rules)
    assert payload["errors"] == [], payload["errors"]
    found = payload["segment"]
    names = [edge["node"]["name"] for edge in found["members"]["edges"]]
    assert found["size"] == found["members"]["totalCount"] == len(names)
    return names


# ---------------------------------------------------------------- age


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"ageFrom": 40}, ["甲", "丁"]),
        ({"ageTo": 39}, ["乙", "丙"]),
        ({"ageFrom": 30, "ageTo": 40}, ["甲", "乙", "丙"]),
        ({"ageFrom": 40, "ageTo": 40}, ["甲"]),
        ({"ageFrom": 39, "ageTo": 39}, ["乙"]),
        ({"ageFrom": 0}, ["甲", "乙", "丙", "丁"]),  # a company has no age
        ({"ageFrom": 61}, []),
    ],
)
async def test_age_is_counted_in_whole_years_on_today_s_date(
    bank: Bank, people: dict[str, Any], rules: dict[str, Any], expected: list[str]
):
    assert await members_of(bank, rules) == expected


# ---------------------------------------------------------------- products


@pytest.fixture
async def holders(bank: Bank, books: Books, people: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """甲 has a demand and a fixed deposit, 乙 a demand deposit, 丁 a demand
    deposit closed since; 丙 bought WM-R2-STEADY in a campaign, which 乙 was
    targeted by too (without buying it)."""
    demand = await books.account_with("100000.00", people["甲"])
    await books.open(
        people["甲"],
        kind="FIXED",
        termMonths=12,
        principal="50000.00",
        fundingAccountId=demand["id"],
        idempotencyKey=books.key(),
    )
    await books.account_with("100.00", people["乙"])
    closed = await books.open(people["丁"])
    caller = await bank.sign_in("admin")
    body = await caller.data(
        "mutation($input: CloseAccountInput!) { closeAccount(input: $input) { errors { code } } }",
        {"input": {"accountId": closed["id"]}},
    )
    assert body["closeAccount"]["errors"] == []
    for name in ("乙", "丙"):
        await assessed(bank, people[name], "C3", on=today(bank))
    campaign = await launched(bank, people["乙"], people["丙"], productCode="WM-R2-STEADY")
    sale = await respond(bank, campaign, people["丙"], "CONVERTED", amount="20000")
    assert sale["errors"] == []
    return people


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({"holdsProducts": ["DEMAND-CNY"]}, ["甲", "乙"]),
        ({"holdsProducts": ["FIXED-CNY"]}, ["甲"]),
        ({"holdsProducts": ["DEMAND-CNY", "FIXED-CNY"]}, ["甲"]),  # every one of them
        ({"holdsProducts": [" demand-cny "]}, ["甲", "乙"]),
        ({"holdsProducts": ["WM-R2-STEADY"]}, ["丙"]),  # converted; 乙 only targeted
        ({"lacksProducts": ["DEMAND-CNY"]}, ["丙", "丁", "戊"]),  # 丁's account is closed
        ({"lacksProducts": ["FIXED-CNY", "WM-R2-STEADY"]}, ["乙", "丁", "戊"]),  # none of them
        ({"holdsProducts": ["DEMAND-CNY"], "lacksProducts": ["FIXED-CNY"]}, ["乙"]),
        ({"holdsProducts": ["DEP-CD-3Y"]}, []),  # in the catalogue, held by nobody
    ],
)
async def test_products_held_and_not_held(
    bank: Bank, holders: dict[str, Any], rules: dict[str, Any], expected: list[str]
):
    assert await members_of(bank, rules) == expected


# ---------------------------------------------------------------- last contact


async def contacted(bank: Bank, customer: dict[str, Any], at: str) -> None:
    """Record a call with ``customer`` at ``at`` (the bank's time)."""
    caller = await bank.sign_in("admin")
    body = await caller.data(
        RECORD_CONTACT,
        {
            "input": {
                "customerId": customer["id"],
                "channel": "CALL",
                "direction": "OUTBOUND",
                "summary": "回访",
                "occurredAt": at,
            }
        },
    )
    assert body["recordInteraction"]["errors"] == []


async def test_last_contact_before_a_day_means_no_contact_on_or_after_it(
    bank: Bank, people: dict[str, Any]
):
    cutoff = today(bank) - timedelta(days=30)
    await contacted(bank, people["甲"], f"{today(bank) - timedelta(days=10)}T10:00:00")
    await contacted(bank, people["乙"], f"{today(bank) - timedelta(days=100)}T10:00:00")
    await contacted(bank, people["乙"], f"{today(bank) - timedelta(days=40)}T10:00:00")
    await contacted(bank, people["丁"], f"{cutoff}T00:30:00")  # on the day, just after midnight
    await contacted(bank, people["戊"], f"{cutoff - timedelta(days=1)}T23:30:00")  # the day before

    found = await members_of(bank, {"lastContactBefore": cutoff.isoformat()})

    assert found == ["乙", "丙", "戊"]  # 丙 was never contacted


# ---------------------------------------------------------------- balance change


@pytest.fixture
async def movers(bank: Bank, books: Books, people: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """Sixty days ago 甲 paid in 100,000 and 乙 5,000; ten days ago 甲 paid in
    20,000 more, 乙 took 3,000 out and 丙 opened an account with 1,000. 丁 and
    戊 have no accounts."""
    await books.open_business_date(today(bank) - timedelta(days=60))
    first = await books.account_with("100000.00", people["甲"])
    second = await books.account_with("5000.00", people["乙"])
    await books.open_business_date(today(bank) - timedelta(days=10))
    assert (await books.deposit(first, "20000.00"))["errors"] == []
    assert (await books.withdraw(second, "3000.00"))["errors"] == []
    await books.account_with("1000.00", people["丙"])
    return people


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"atLeast": "10000"}, ["甲"]),
        ({"atMost": "-1000"}, ["乙"]),
        ({"atMost": "-3000.01"}, []),
        ({"atLeast": "0.01"}, ["甲", "丙"]),
        ({"atLeast": "0"}, ["甲", "丙", "丁", "戊"]),  # no movement is no change
        ({"atLeast": "-5000", "atMost": "5000"}, ["乙", "丙", "丁", "戊"]),
        ({"atLeast": "1000.00", "atMost": "1000"}, ["丙"]),
    ],
)
async def test_balance_change_since_a_day(
    bank: Bank, movers: dict[str, Any], change: dict[str, Any], expected: list[str]
):
    since = (today(bank) - timedelta(days=30)).isoformat()

    assert await members_of(bank, {"balanceChange": {"since": since} | change}) == expected


async def test_balance_change_counts_from_the_start_of_its_day(bank: Bank, movers: dict[str, Any]):
    since = (today(bank) - timedelta(days=60)).isoformat()

    found = await members_of(bank, {"balanceChange": {"since": since, "atLeast": "100000"}})

    assert found == ["甲"]  # 120,000 since, the first deposit included


async def test_balance_change_is_refused_when_no_module_knows_balances(
    bank: Bank, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    since = (today(bank) - timedelta(days=30)).isoformat()
    monkeypatch.setattr(finance_marketing, "balance_changes", lambda since: None)

    payload = await saving_rules(bank, {"balanceChange": {"since": since, "atLeast": "1"}})

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("CRITERION_UNAVAILABLE", ["input", "segmentRules", "balanceChange"])
    ]
    assert await bank.count(Segment) == 0


async def test_a_saved_balance_rule_selects_nobody_once_balances_are_unknown(
    bank: Bank, movers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
):
    since = (today(bank) - timedelta(days=30)).isoformat()
    payload = await saving_rules(bank, {"balanceChange": {"since": since, "atLeast": "0"}})
    assert payload["segment"]["size"] == 4
    monkeypatch.setattr(finance_marketing, "balance_changes", lambda since: None)

    caller = await bank.sign_in("marketing")
    found = (await caller.data(SEGMENT, {"id": payload["segment"]["id"]}))["node"]

    assert (found["size"], found["members"]["edges"]) == (0, [])


# ---------------------------------------------------------------- combined


async def test_criteria_combine_with_each_other_and_the_customer_filter(
    bank: Bank, holders: dict[str, Any]
):
    await contacted(bank, holders["丁"], f"{today(bank) - timedelta(days=1)}T10:00:00")
    rules = {
        "customers": {"tier": ["WEALTH"]},
        "ageFrom": 35,
        "lastContactBefore": (today(bank) - timedelta(days=7)).isoformat(),
    }

    assert await members_of(bank, rules) == ["甲"]  # 丁 was contacted yesterday
    assert await members_of(bank, rules | {"lacksProducts": ["FIXED-CNY"]}) == []
    assert await members_of(bank, {"ageTo": 45, "holdsProducts": ["DEMAND-CNY"]}) == ["甲", "乙"]
    assert await members_of(
        bank, {"customers": {"branchCode": "BJ-001"}, "lacksProducts": ["DEMAND-CNY"]}
    ) == ["丙", "丁", "戊"]


async def test_the_rules_are_kept_as_json_beside_the_customer_filter(
    bank: Bank, holders: dict[str, Any]
):
    since = today(bank) - timedelta(days=30)
    payload = await saving_rules(
        bank,
        {
            "customers": {"tier": ["WEALTH"], "assetsFrom": "1000"},
            "ageFrom": 18,
            "ageTo": 65,
            "holdsProducts": ["demand-cny", "DEMAND-CNY"],
            "lacksProducts": ["FIXED-CNY"],
            "lastContactBefore": since.isoformat(),
            "balanceChange": {"since": since.isoformat(), "atMost": "-100.5"},
        },
    )
    assert payload["errors"] == []

    async with bank.runtime.database.transaction(Mode.READ) as session:
        rules = await session.scalar(select(Segment.rules))

    assert rules == {
        "tier": ["WEALTH"],
        "assets_from": "1000",
        "age_from": 18,
        "age_to": 65,
        "holds_products": ["DEMAND-CNY"],
        "lacks_products": ["FIXED-CNY"],
        "last_contact_before": since.isoformat(),
        "balance_change": {"since": since.isoformat(), "at_most": "-100.5"},
    }


async def test_a_campaign_audience_takes_the_same_rules(bank: Bank, holders: dict[str, Any]):
    caller = await bank.sign_in("marketing")
    plan = {
        "name": "活期客户",
        "channel": "SMS",
        "audienceRules": {"holdsProducts": ["DEMAND-CNY"], "ageFrom": 40},
    }
    payload = (await caller.data(CREATE, {"input": plan}))["createCampaign"]
    assert payload["errors"] == []

    launched_payload = await act(bank, "launch", payload["campaign"])

    assert launched_payload["errors"] == []
    assert launched_payload["campaign"]["memberCount"] == 1  # 甲 (丁 holds nothing)
    assert (await stored(bank, payload["campaign"]))["audience"] == {
        "holds_products": ["DEMAND-CNY"],
        "age_from": 40,
    }


# ---------------------------------------------------------------- rules saved before


async def test_rules_saved_before_the_criteria_existed_still_work(
    bank: Bank, people: dict[str, Any]
):
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        session.add(
            Segment(
                name="旧客群",
                rules={"tier": ["WEALTH"], "kind": "INDIVIDUAL"},
                created_by=bank.user_ids["marketing"],
            )
        )
        segment_id = await session.scalar(select(Segment.id))
    caller = await bank.sign_in("marketing")

    found = (await caller.data(SEGMENT, {"id": global_id("Segment", segment_id)}))["node"]

    assert [edge["node"]["name"] for edge in found["members"]["edges"]] == ["甲", "丁"]
    assert found["size"] == 2


async def test_a_bare_customer_filter_is_still_taken(bank: Bank, people: dict[str, Any]):
    payload = await saving(bank, "财富客户", {"tier": ["WEALTH"]})

    assert payload["errors"] == []
    assert payload["segment"]["size"] == 2


# ---------------------------------------------------------------- refusals


def _days(bank: Bank, offset: int) -> str:
    return (today(bank) + timedelta(days=offset)).isoformat()


REFUSED = [
    ({"ageFrom": 50, "ageTo": 40}, "INVALID_AGE_RANGE", "ageTo"),
    ({"ageFrom": -1}, "INVALID_AGE", "ageFrom"),
    ({"ageTo": 151}, "INVALID_AGE", "ageTo"),
    ({"holdsProducts": ["NO-SUCH-PRODUCT"]}, "UNKNOWN_PRODUCT", "holdsProducts"),
    ({"lacksProducts": ["DEMAND-CNY", ""]}, "UNKNOWN_PRODUCT", "lacksProducts"),
    (
        {"holdsProducts": ["DEP-CD-3Y"], "lacksProducts": ["dep-cd-3y"]},
        "CONFLICTING_PRODUCTS",
        "lacksProducts",
    ),
    ({"lastContactBefore": "+1"}, "DATE_IN_FUTURE", "lastContactBefore"),
    ({"balanceChange": {"since": "-30"}}, "BOUND_REQUIRED", "balanceChange"),
    ({"balanceChange": {"since": "-30", "atLeast": "0.001"}}, "INVALID_AMOUNT", "atLeast"),
    (
        {"balanceChange": {"since": "-30", "atMost": "-1000000000000.01"}},
        "INVALID_AMOUNT",
        "atMost",
    ),
    (
        {"balanceChange": {"since": "-30", "atLeast": "10", "atMost": "5"}},
        "INVALID_AMOUNT_RANGE",
        "atMost",
    ),
    ({"balanceChange": {"since": "+1", "atLeast": "1"}}, "DATE_IN_FUTURE", "since"),
]


def _dated(bank: Bank, rules: dict[str, Any]) -> dict[str, Any]:
    """``rules`` with each "+n" / "-n" date made today plus n days."""
    done: dict[str, Any] = {}
    for name, value in rules.items():
        if isinstance(value, dict):
            done[name] = _dated(bank, value)
        elif name in ("lastContactBefore", "since"):
            done[name] = _days(bank, int(value))
        else:
            done[name] = value
    return done


@pytest.mark.parametrize(("rules", "code", "field"), REFUSED)
async def test_rules_that_cannot_be_evaluated_are_refused_and_nothing_is_saved(
    bank: Bank, holders: dict[str, Any], rules: dict[str, Any], code: str, field: str
):
    payload = await saving_rules(bank, _dated(bank, rules))

    assert codes(payload) == [code]
    assert payload["errors"][0]["field"][:2] == ["input", "segmentRules"]
    assert payload["errors"][0]["field"][-1] == field
    assert payload["segment"] is None
    assert await bank.count(Segment) == 0


@pytest.mark.parametrize(("rules", "code", "field"), REFUSED[:4])
async def test_a_campaign_with_rules_that_cannot_be_evaluated_is_not_created(
    bank: Bank, people: dict[str, Any], rules: dict[str, Any], code: str, field: str
):
    caller = await bank.sign_in("marketing")
    plan = {"name": "推广", "channel": "SMS", "audienceRules": _dated(bank, rules)}

    payload = (await caller.data(CREATE, {"input": plan}))["createCampaign"]

    assert codes(payload) == [code]
    assert payload["errors"][0]["field"][:2] == ["input", "audienceRules"]
    assert await bank.count(Campaign) == 0


async def test_a_customer_filter_and_rules_at_once_are_ambiguous(bank: Bank):
    caller = await bank.sign_in("marketing")
    both = {"tier": ["WEALTH"]}

    segment = await caller.data(
        SAVE_RULES, {"input": {"name": "两者", "rules": both, "segmentRules": {"ageFrom": 1}}}
    )
    campaign = await caller.data(
        CREATE,
        {
            "input": {
                "name": "两者",
                "channel": "SMS",
                "audience": both,
                "audienceRules": {"ageFrom": 1},
            }
        },
    )
    neither = await caller.data(SAVE_RULES, {"input": {"name": "皆无"}})

    assert codes(segment["saveSegment"]) == ["AMBIGUOUS_RULES"]
    assert codes(campaign["createCampaign"]) == ["AMBIGUOUS_RULES"]
    assert codes(neither["saveSegment"]) == ["RULES_REQUIRED"]
    assert await bank.count(Segment) == await bank.count(Campaign) == 0


# ---------------------------------------------------------------- evaluated in SQL


async def test_a_segment_s_size_is_one_statement_whatever_its_criteria(
    bank: Bank, holders: dict[str, Any], sql: Any
):
    since = (today(bank) - timedelta(days=30)).isoformat()
    every_criterion = {
        "tier": ["WEALTH", "MASS"],
        "assets_from": "1",
        "tags": ["高净值"],
        "age_from": 18,
        "age_to": 65,
        "holds_products": ["DEMAND-CNY", "WM-R2-STEADY"],
        "lacks_products": ["FIXED-CNY"],
        "last_contact_before": since,
        "balance_change": {"since": since, "at_least": "-100", "at_most": "100"},
    }
    marketing = Principal(
        user_id=bank.user_ids["marketing"],
        username="marketing",
        roles=frozenset({Role.MARKETING}),
        branch_id=None,
        permissions=frozenset(),
    )
    runtime = bank.runtime
    calendar = Calendar.of(runtime.settings)
    async with runtime.database.transaction(Mode.READ) as session:
        sql.reset()
        for rules in ({}, every_criterion, {"holds_products": ["DEMAND-CNY"]}):
            await count(session, audience_of(rules, marketing, runtime.plugins, calendar=calendar))

    assert sql.count == 3, sql.statements  # one each
