"""Finding customers by assets under management, held in any plugin, in SQL."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.authorization import Role
from tests.plugins.customer.people import register

FIND = """query($from: Decimal, $below: Decimal) {
  customers(filter: {assetsFrom: $from, assetsBelow: $below}, orderBy: NAME) {
    totalCount edges { node { name } } } }"""


@pytest.fixture
async def customers(runtime, staff, holdings):
    await staff.branch("BJ-001")
    await staff.branch("SH-001", "上海分行")
    amounts = {"甲": "0", "乙": "49999.99", "丙": "50000.00", "丁": "600000.00"}
    for serial, (name, amount) in enumerate(amounts.items(), start=1):
        customer = await register(runtime, serial, name=name)
        holdings.by_customer[customer.id] = Decimal(amount)
    rich_elsewhere = await register(runtime, 9, name="戊", branch="SH-001")
    holdings.by_customer[rich_elsewhere.id] = Decimal(900000)


async def names(caller, **bounds) -> list[str]:  # type: ignore[no-untyped-def]
    body = await caller.data(FIND, bounds)
    return [edge["node"]["name"] for edge in body["customers"]["edges"]]


@pytest.mark.usefixtures("customers")
@pytest.mark.parametrize(
    ("bounds", "expected"),
    [
        ({"from": "50000"}, ["丁", "丙", "戊"]),
        ({"below": "50000"}, ["乙", "甲"]),
        ({"from": "49999.99", "below": "600000"}, ["丙", "乙"]),
        ({"from": "0.01"}, ["丁", "丙", "乙", "戊"]),
    ],
)
async def test_assets_bounds_include_the_lower_and_exclude_the_upper(admin, bounds, expected):
    assert sorted(await names(admin, **bounds)) == sorted(expected)


@pytest.mark.usefixtures("customers")
async def test_finding_by_assets_stays_within_the_viewers_scope(client, staff):
    await staff.user("bj.manager", Role.BRANCH_MANAGER, branch="BJ-001")
    manager = await client.sign_in("bj.manager")

    assert sorted(await names(manager, **{"from": "500000"})) == ["丁"]


@pytest.mark.usefixtures("customers")
@pytest.mark.parametrize(
    "bound",
    # found by fuzzing: Infinity was a server error (OverflowError), and so would be
    # a bound whose fen no BIGINT holds
    [{"from": "0.001"}, {"below": "Infinity"}, {"from": "-Infinity"}, {"below": "1e999"}],
)
async def test_an_amount_finer_than_a_fen_or_beyond_any_is_refused(admin, bound):
    body = await admin.execute(FIND, bound)

    assert body["errors"][0]["extensions"] == {"code": "INVALID_AMOUNT"}


async def test_without_plugins_holding_assets_everyone_holds_nothing(admin, runtime, staff):
    await staff.branch("BJ-001")
    await register(runtime, 1, name="甲")

    assert await names(admin, below="0.01") == ["甲"]
    assert await names(admin, **{"from": "0.01"}) == []
