"""Segments: named audiences kept as a customer filter, evaluated in SQL each
time their size or members are asked for, within the viewer's scope."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from core.db import Mode
from plugins.customer.models import Customer, CustomerKind, CustomerTag, CustomerTier
from plugins.marketing.models import Segment
from tests.plugins.customer.conftest import SH, Holdings, credit_code, error_codes
from tests.plugins.customer.people import register
from tests.plugins.marketing.conftest import Bank, codes

SEGMENT_FIELDS = """
  id name description size
  members(first: $first, after: $after) {
    totalCount
    edges { cursor node { name } }
    pageInfo { hasNextPage endCursor }
  }
"""
SAVE_SEGMENT = f"""
mutation($input: SaveSegmentInput!, $first: Int = 50, $after: String) {{
  saveSegment(input: $input) {{
    segment {{ {SEGMENT_FIELDS} }}
    errors {{ field message code }}
  }}
}}
"""
SEGMENT = f"""
query($id: ID!, $first: Int = 50, $after: String) {{
  node(id: $id) {{ ... on Segment {{ {SEGMENT_FIELDS} }} }}
}}
"""
SEGMENTS = "query { segments { name size } }"

PEOPLE = {
    # name: (branch, tier, risk profile, tags, assets)
    "甲": ("BJ-001", "WEALTH", "C4", ["高净值"], "600000"),
    "乙": ("BJ-001", "MASS", "C2", [], "1000"),
    "丙": (SH, "WEALTH", "C3", ["高净值"], "50000"),
    "丁": (SH, "PRIVATE", "C5", ["高净值", "退休"], "2000000"),
    "戊": ("BJ-001", "AFFLUENT", None, ["退休"], "0"),
    "己": ("BJ-001", "WEALTH", "C4", ["高净值"], "900000"),  # closed
}
"""Registered in this order, so members (by id) come in it; 甲 is ``bj.rm``'s,
and 庚, a company of BJ-001, comes last."""


@pytest.fixture
def holdings(runtime):  # type: ignore[no-untyped-def]
    """A plugin holding assets for customers, for this test only."""
    plugin = Holdings()
    runtime.plugins.manager.register(plugin, name="test-holdings")
    yield plugin
    runtime.plugins.manager.unregister(plugin)


@pytest.fixture
async def people(bank: Bank, holdings: Holdings) -> dict[str, dict[str, Any]]:
    """PEOPLE and 庚 registered, by name."""
    found = {}
    for name, (branch, tier, profile, tags, assets) in PEOPLE.items():
        customer = await bank.register(
            by="bj.rm" if name == "甲" else "admin", name=name, branchCode=branch
        )
        await bank.change(customer, tier=tier, risk_profile=profile)
        if tags:
            await bank.tag(customer, *tags)
        holdings.by_customer[await bank.customer_id(customer)] = Decimal(assets)
        found[name] = customer
    await bank.change(found["己"], status="CLOSED")
    found["庚"] = await bank.register(kind="CORPORATE", name="庚", idNumber=credit_code(1))
    return found


async def saving(
    bank: Bank, name: str, rules: dict[str, Any], by: str = "marketing", **more: Any
) -> dict[str, Any]:
    """The ``saveSegment`` payload (errors included)."""
    caller = await bank.sign_in(by)
    body = await caller.data(SAVE_SEGMENT, {"input": {"name": name, "rules": rules} | more})
    return body["saveSegment"]


async def saved(bank: Bank, name: str, rules: dict[str, Any]) -> str:
    """Save a segment as marketing; its global ID."""
    payload = await saving(bank, name, rules)
    assert payload["errors"] == [], payload["errors"]
    return payload["segment"]["id"]


async def segment(
    bank: Bank, segment_id: str, by: str = "marketing", **page: Any
) -> dict[str, Any]:
    caller = await bank.sign_in(by)
    return (await caller.data(SEGMENT, {"id": segment_id} | page))["node"]


def members(segment: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in segment["members"]["edges"]]


# ---------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ({}, ["甲", "乙", "丙", "丁", "戊", "庚"]),
        ({"tier": ["WEALTH"]}, ["甲", "丙"]),
        ({"tier": ["WEALTH", "PRIVATE"]}, ["甲", "丙", "丁"]),
        ({"tags": ["高净值"]}, ["甲", "丙", "丁"]),
        ({"tags": ["高净值", "退休"]}, ["丁"]),
        ({"branchCode": "SH-001"}, ["丙", "丁"]),
        ({"branchCode": " sh-001 "}, ["丙", "丁"]),
        ({"riskProfile": ["C4", "C5"]}, ["甲", "丁"]),
        ({"assetsFrom": "50000"}, ["甲", "丙", "丁"]),
        ({"assetsFrom": "1000", "assetsBelow": "600000"}, ["乙", "丙"]),
        ({"kind": "CORPORATE"}, ["庚"]),
        ({"search": "丁"}, ["丁"]),
        ({"status": ["CLOSED"]}, []),  # closed customers are never an audience
        ({"relationshipManagerId": "bj.rm"}, ["甲"]),
        ({"tier": ["WEALTH", "PRIVATE"], "branchCode": "BJ-001", "tags": ["高净值"]}, ["甲"]),
        ({"tier": ["WEALTH"], "riskProfile": ["C5"]}, []),
    ],
)
async def test_a_segment_selects_the_customers_its_rules_describe(
    bank: Bank, people: dict[str, Any], rules: dict[str, Any], expected: list[str]
):
    if "relationshipManagerId" in rules:
        rules = rules | {"relationshipManagerId": bank.user(rules["relationshipManagerId"])}

    payload = await saving(bank, "目标客户", rules, description="测试")

    assert payload["errors"] == []
    assert payload["segment"]["name"] == "目标客户"
    assert payload["segment"]["description"] == "测试"
    for found in (payload["segment"], await segment(bank, payload["segment"]["id"])):
        assert members(found) == expected
        assert found["size"] == len(expected)
        assert found["members"]["totalCount"] == len(expected)


async def test_a_segment_is_evaluated_each_time_it_is_read(bank: Bank, people: dict[str, Any]):
    wealthy = await saved(bank, "财富客户", {"tier": ["WEALTH"]})
    assert members(await segment(bank, wealthy)) == ["甲", "丙"]

    await bank.change(people["乙"], tier="WEALTH")
    await bank.change(people["甲"], tier="PRIVATE")
    now = await segment(bank, wealthy)

    assert members(now) == ["乙", "丙"]
    assert now["size"] == 2

    await bank.change(people["丙"], status="CLOSED")
    assert members(await segment(bank, wealthy)) == ["乙"]


async def test_a_segment_follows_tags_as_they_change(bank: Bank, people: dict[str, Any]):
    retired = await saved(bank, "退休客户", {"tags": ["退休"]})

    await bank.tag(people["乙"], "退休")

    assert members(await segment(bank, retired)) == ["乙", "丁", "戊"]


async def test_members_come_a_page_at_a_time(bank: Bank, people: dict[str, Any]):
    everyone = await saved(bank, "全部客户", {})

    first = await segment(bank, everyone, first=4)
    rest = await segment(bank, everyone, first=4, after=first["members"]["pageInfo"]["endCursor"])

    assert members(first) == ["甲", "乙", "丙", "丁"]
    assert first["members"]["pageInfo"]["hasNextPage"] is True
    assert members(rest) == ["戊", "庚"]
    assert rest["members"]["pageInfo"]["hasNextPage"] is False
    assert first["members"]["totalCount"] == rest["members"]["totalCount"] == first["size"] == 6


# ---------------------------------------------------------------- scope


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("marketing", ["甲", "丙", "丁"]),
        ("auditor", ["甲", "丙", "丁"]),
        ("bj.manager", ["甲"]),
        ("sh.manager", ["丙", "丁"]),
        ("sh.teller", ["丙", "丁"]),
        ("bj.rm", ["甲"]),
        ("sh.rm", []),
    ],
)
async def test_each_viewer_sees_the_members_in_their_scope(
    bank: Bank, people: dict[str, Any], who: str, expected: list[str]
):
    wealthy = await saved(bank, "高净值客户", {"tags": ["高净值"]})

    seen = await segment(bank, wealthy, by=who)

    assert members(seen) == expected
    assert seen["size"] == seen["members"]["totalCount"] == len(expected)


async def test_a_segment_a_branch_manager_saves_is_within_their_branch(
    bank: Bank, people: dict[str, Any]
):
    payload = await saving(bank, "本行高净值", {"tags": ["高净值"]}, by="sh.manager")

    assert payload["errors"] == []
    assert members(payload["segment"]) == ["丙", "丁"]
    assert members(await segment(bank, payload["segment"]["id"])) == ["甲", "丙", "丁"]


# ---------------------------------------------------------------- saving and listing


async def test_segments_are_listed_by_name(bank: Bank, people: dict[str, Any]):
    await saved(bank, "Zeta", {"tier": ["PRIVATE"]})
    await saved(bank, "alpha", {})
    await saved(bank, "Beta", {"branchCode": "SH-001"})
    bj_manager = await bank.sign_in("bj.manager")

    listed = (await bj_manager.data(SEGMENTS))["segments"]

    assert listed == [
        {"name": "alpha", "size": 4},
        {"name": "Beta", "size": 0},
        {"name": "Zeta", "size": 0},
    ]


@pytest.mark.parametrize("name", ["高净值客户", "  高净值客户 "])
async def test_a_second_segment_of_the_same_name_is_refused(bank: Bank, name: str):
    await saved(bank, "高净值客户", {"tags": ["高净值"]})

    payload = await saving(bank, name, {"tier": ["PRIVATE"]})

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("DUPLICATE_SEGMENT", ["input", "name"])
    ]
    assert payload["segment"] is None
    assert await bank.count(Segment) == 1


async def test_a_segment_needs_a_name(bank: Bank):
    payload = await saving(bank, "  ", {})

    assert codes(payload) == ["REQUIRED"]
    assert await bank.count(Segment) == 0


async def test_rules_that_cannot_be_evaluated_are_refused_when_saved(bank: Bank):
    marketing = await bank.sign_in("marketing")

    body = await marketing.execute(
        SAVE_SEGMENT, {"input": {"name": "零头", "rules": {"assetsFrom": "0.001"}}}
    )

    payload = (body.get("data") or {}).get("saveSegment") or {"errors": []}
    assert "INVALID_AMOUNT" in error_codes(body) + codes(payload)  # refused, either way
    assert await bank.count(Segment) == 0
    assert "errors" not in await marketing.execute(SEGMENTS)


@pytest.mark.parametrize("who", ["bj.rm", "bj.teller", "auditor"])
async def test_only_those_who_run_campaigns_may_save_segments(bank: Bank, who: str):
    caller = await bank.sign_in(who)

    body = await caller.execute(SAVE_SEGMENT, {"input": {"name": "高净值", "rules": {}}})

    assert error_codes(body) == ["FORBIDDEN"]
    assert await bank.count(Segment) == 0


async def test_a_service_agent_may_not_read_segments(bank: Bank):
    everyone = await saved(bank, "全部客户", {})
    agent = await bank.sign_in("bj.agent")

    assert error_codes(await agent.execute(SEGMENTS)) == ["FORBIDDEN"]
    assert (await agent.data(SEGMENT, {"id": everyone}))["node"] is None


# ---------------------------------------------------------------- evaluated in SQL

COST = """
query($id: ID!) {
  node(id: $id) { ... on Segment {
    name size
    members(first: 50) {
      totalCount
      edges { node { name tier tags branch { code } relationshipManager { username } } }
    }
  } }
}
"""


async def customers_of(bank: Bank, tier: CustomerTier, how_many: int, first_serial: int) -> None:
    """``how_many`` customers of BJ-001 of ``tier``, tagged 高净值, managed by ``bj.rm``."""
    runtime = bank.runtime
    ids = []
    for serial in range(first_serial, first_serial + how_many):
        ids.append((await register(runtime, serial, kind=CustomerKind.INDIVIDUAL)).id)
    async with runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(
            update(Customer)
            .where(Customer.id.in_(ids))  # type: ignore[union-attr]
            .values(tier=tier, relationship_manager_id=bank.user_ids["bj.rm"])
        )
        session.add_all(CustomerTag(customer_id=i, tag="高净值") for i in ids)


async def statements_for(bank: Bank, sql: Any, segment_id: str) -> tuple[int, dict[str, Any]]:
    caller = await bank.sign_in("marketing")
    await caller.data(COST, {"id": segment_id})  # warmed up
    sql.reset()
    found = (await caller.data(COST, {"id": segment_id}))["node"]
    return sql.count, found


async def test_size_and_a_page_of_members_cost_the_same_for_3_as_for_30(bank: Bank, sql):
    await customers_of(bank, CustomerTier.PRIVATE, 3, first_serial=1)
    await customers_of(bank, CustomerTier.WEALTH, 30, first_serial=100)
    rules = {"tags": ["高净值"], "branchCode": "BJ-001"}
    few_id = await saved(bank, "私行客户", rules | {"tier": ["PRIVATE"]})
    many_id = await saved(bank, "财富客户", rules | {"tier": ["WEALTH"]})

    few, few_found = await statements_for(bank, sql, few_id)
    many, many_found = await statements_for(bank, sql, many_id)

    assert (few_found["size"], len(few_found["members"]["edges"])) == (3, 3)
    assert (many_found["size"], len(many_found["members"]["edges"])) == (30, 30)
    assert {edge["node"]["tier"] for edge in many_found["members"]["edges"]} == {"WEALTH"}
    assert few == many
    assert many == 8, sql.statements  # signing in, the segment, size, members and their
    # count, tags, branches, managers
