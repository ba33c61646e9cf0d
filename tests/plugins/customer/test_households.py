"""A household is a customer with their spouse, parents and children, and what they
hold together; and reading links and households costs what the query's shape does."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from core.db import Mode
from plugins.customer.assets import assets_of
from plugins.customer.models import CustomerStatus
from plugins.customer.relationships import household_of
from tests.plugins.customer.conftest import SH, Bank, Holdings
from tests.plugins.customer.test_relationships import company, link, person

HOUSEHOLD = """
query($id: ID!) {
  customer(id: $id) {
    household { members { name } combinedAssets { amount currency } }
  }
}
"""


@pytest.fixture
def deposits(runtime) -> Iterator[Holdings]:
    plugin = Holdings()
    runtime.plugins.manager.register(plugin, name="test-deposits")
    yield plugin
    runtime.plugins.manager.unregister(plugin)


@pytest.fixture
def wealth_products(runtime) -> Iterator[Holdings]:
    plugin = Holdings()
    runtime.plugins.manager.register(plugin, name="test-wealth-products")
    yield plugin
    runtime.plugins.manager.unregister(plugin)


async def household(bank: Bank, customer: dict[str, Any], by: str = "admin") -> dict[str, Any]:
    caller = await bank.sign_in(by)
    body = await caller.data(HOUSEHOLD, {"id": customer["id"]})
    return body["customer"]["household"]


def member_names(found: dict[str, Any]) -> list[str]:
    return [member["name"] for member in found["members"]]


async def test_a_household_is_the_customer_and_their_family_one_link_away(bank):
    me = await person(bank, "本人")
    spouse = await person(bank, "配偶")
    father = await person(bank, "父亲")
    son = await person(bank, "儿子")
    spouses_mother = await person(bank, "岳母")
    employer = await company(bank, "雇主公司")
    guarantor = await person(bank, "担保人")
    await link(bank, me, spouse, "SPOUSE")
    await link(bank, father, me, "CHILD")  # made from the father's side
    await link(bank, me, son, "CHILD")
    await link(bank, spouse, spouses_mother, "PARENT")  # two links away from me
    await link(bank, me, employer, "EMPLOYER")
    await link(bank, guarantor, me, "GUARANTEED_PARTY")

    mine = await household(bank, me)
    sons = await household(bank, son)

    assert mine["members"][0] == {"name": "本人"}
    assert sorted(member_names(mine)) == sorted(["本人", "配偶", "父亲", "儿子"])
    assert member_names(sons) == ["儿子", "本人"]


async def test_a_customer_with_no_family_is_a_household_of_one(bank):
    me = await person(bank, "独居")

    assert await household(bank, me) == {
        "members": [{"name": "独居"}],
        "combinedAssets": {"amount": "0.00", "currency": "CNY"},
    }


async def test_without_a_plugin_holding_assets_a_household_holds_nothing(bank):
    me, spouse = await person(bank, "本人"), await person(bank, "配偶")
    await link(bank, me, spouse, "SPOUSE")

    found = await household(bank, me)

    assert found["combinedAssets"] == {"amount": "0.00", "currency": "CNY"}


async def test_combined_assets_add_up_every_member_in_every_plugin(bank, deposits, wealth_products):
    me, spouse, daughter = (
        await person(bank, "本人"),
        await person(bank, "配偶"),
        await person(bank, "女儿"),
    )
    cousin = await person(bank, "表亲")
    await link(bank, me, spouse, "SPOUSE")
    await link(bank, me, daughter, "CHILD")
    await link(bank, me, cousin, "GUARANTOR")
    ids = {name: await bank.customer_id(c) for name, c in [("me", me), ("spouse", spouse)]}
    ids |= {"daughter": await bank.customer_id(daughter), "cousin": await bank.customer_id(cousin)}
    deposits.by_customer.update(
        {ids["me"]: Decimal("100000.00"), ids["spouse"]: Decimal("2500.50")}
    )
    wealth_products.by_customer.update(
        {ids["me"]: Decimal("300000"), ids["daughter"]: Decimal("0.25")}
    )
    deposits.by_customer[ids["cousin"]] = Decimal("999999")  # not family: not counted

    mine = await household(bank, me)
    daughters = await household(bank, daughter)

    assert mine["combinedAssets"] == {"amount": "402500.75", "currency": "CNY"}
    assert daughters["combinedAssets"] == {"amount": "400000.25", "currency": "CNY"}


async def test_relatives_out_of_scope_are_left_out_with_their_assets(bank, deposits):
    me = await person(bank, "北京本人")
    wife = await person(bank, "上海妻子", branchCode=SH)
    await link(bank, me, wife, "SPOUSE")
    deposits.by_customer[await bank.customer_id(me)] = Decimal("1000")
    deposits.by_customer[await bank.customer_id(wife)] = Decimal("5000")

    seen_in_beijing = await household(bank, me, by="bj.manager")
    seen_at_head_office = await household(bank, me, by="admin")

    assert seen_in_beijing == {
        "members": [{"name": "北京本人"}],
        "combinedAssets": {"amount": "1000.00", "currency": "CNY"},
    }
    assert seen_at_head_office == {
        "members": [{"name": "北京本人"}, {"name": "上海妻子"}],
        "combinedAssets": {"amount": "6000.00", "currency": "CNY"},
    }


async def test_a_closed_relative_is_no_longer_in_the_household(bank, deposits):
    me, husband = await person(bank, "本人"), await person(bank, "亡夫")
    await link(bank, me, husband, "SPOUSE")
    deposits.by_customer[await bank.customer_id(husband)] = Decimal("42")
    await bank.change(husband, status=CustomerStatus.CLOSED)

    assert await household(bank, me) == {
        "members": [{"name": "本人"}],
        "combinedAssets": {"amount": "0.00", "currency": "CNY"},
    }


async def test_household_of_serves_code_outside_graphql(bank, runtime, deposits):
    me, mother = await person(bank, "本人"), await person(bank, "母亲")
    await link(bank, me, mother, "PARENT")
    me_id, mother_id = await bank.customer_id(me), await bank.customer_id(mother)
    deposits.by_customer[mother_id] = Decimal("88.80")

    async with runtime.database.transaction(Mode.READ) as session:
        found = await household_of(session, runtime.plugins, me_id)

    assert found.member_ids == (me_id, mother_id)
    assert found.combined_assets == Decimal("88.80")


async def test_assets_are_summed_per_customer_over_the_plugins(
    runtime, deposits, wealth_products, sql
):
    deposits.by_customer.update({1: Decimal("10"), 2: Decimal("5.5"), 99: Decimal("7")})
    wealth_products.by_customer.update({1: Decimal("0.01")})

    async with runtime.database.transaction(Mode.READ) as session:
        sql.reset()
        found = await assets_of(session, runtime.plugins, [1, 2, 3])

    assert found == {1: Decimal("10.01"), 2: Decimal("5.50"), 3: Decimal("0.00")}
    assert sql.count == 1  # one statement, over every plugin, for everyone


async def test_assets_of_nobody_asks_the_database_nothing(runtime, deposits, sql):
    deposits.by_customer[1] = Decimal("10")
    async with runtime.database.transaction(Mode.READ) as session:
        sql.reset()
        assert await assets_of(session, runtime.plugins, []) == {}
    assert sql.count == 0


LINKS_AND_HOUSEHOLDS = """
query {
  customers(first: 100) {
    edges { node {
      relationships { kind customer { name } }
      household { members { name } combinedAssets { amount } }
    } }
  }
}
"""


async def add_families(bank: Bank, count: int) -> None:
    """``count`` couples, each with a company one of them works for."""
    for n in range(count):
        husband = await person(bank, f"丈夫{n}")
        wife = await person(bank, f"妻子{n}")
        employer = await company(bank, f"公司{n}")
        await link(bank, husband, wife, "SPOUSE")
        await link(bank, wife, employer, "EMPLOYER")


async def statements_for_links_and_households(bank: Bank, sql: Any) -> tuple[int, int]:
    """How many customers the query showed, and how many statements it cost."""
    admin = await bank.sign_in("admin")
    sql.reset()
    body = await admin.data(LINKS_AND_HOUSEHOLDS)
    return len(body["customers"]["edges"]), sql.count


async def test_links_and_households_cost_the_same_for_5_customers_as_for_30(bank, sql, deposits):
    deposits.by_customer[1] = Decimal("1.00")  # so that the assets statement runs
    await add_families(bank, 1)
    await person(bank, "单身一")
    await person(bank, "单身二")
    few, statements_for_few = await statements_for_links_and_households(bank, sql)
    await add_families(bank, 8)
    await person(bank, "单身三")
    many, statements_for_many = await statements_for_links_and_households(bank, sql)

    assert (few, many) == (5, 30)
    assert statements_for_many == statements_for_few
