"""Next-best offers: each rule firing with its reason in words, the products
never offered (unsuitable, held, off sale), only the customer-based rules
without a plugin holding products, and a page of customers with their offers
for a fixed number of SQL statements.

The standard catalogue is on sale: DEP-CD-3Y (deposit, from ¥200,000),
WM-R2-STEADY (R2, from ¥10,000), WM-R3-BALANCED (R3, affluent and up),
WM-R4-EQUITY (R4, from ¥100,000, wealth and up), PE-R5-FUND (private),
INS-ANNUITY, CARD-PLATINUM (affluent and up), LOAN-CONSUMER.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import BigInteger, Date, Integer, String, literal, select, union_all
from sqlalchemy import cast as sql_cast

from core.db import Mode
from core.hookspecs import hookimpl
from core.money import to_minor_units
from core.plugins import load_plugins
from core.runtime import Runtime
from plugins.customer.models import Customer, TierChange
from plugins.marketing.offers.recommend import recommend
from plugins.marketing.offers.signals import holdings_table
from tests.plugins.customer.conftest import Bank, error_codes
from tests.plugins.marketing.conftest import assessed
from tests.plugins.marketing.test_campaign_report import stand
from tests.plugins.marketing.test_campaigns import launched, product

OFFERS = """
query($id: ID!, $limit: Int! = 5) {
  customer(id: $id) { recommendations(limit: $limit) { product { code } score reasons } }
}
"""


@dataclass(frozen=True)
class Holding:
    customer_id: int
    product_code: str
    category: str
    amount: Decimal
    matures_on: date | None
    last_moved_on: date | None


def _day(value: date | None) -> Any:
    return sql_cast(literal(None), Date) if value is None else literal(value, Date)


class Holdings:
    """A plugin holding products for customers, as finance does: answers
    ``crm_marketing_holdings`` with SQL over the holdings a test gives it."""

    def __init__(self) -> None:
        self.rows: list[Holding] = []

    @hookimpl
    def crm_marketing_holdings(self):  # type: ignore[no-untyped-def]
        if not self.rows:
            return None
        return union_all(
            *(
                select(
                    literal(row.customer_id, Integer).label("customer_id"),
                    literal(row.product_code, String).label("product_code"),
                    literal(row.category, String).label("category"),
                    literal(to_minor_units(row.amount), BigInteger).label("amount"),
                    _day(row.matures_on).label("matures_on"),
                    _day(row.last_moved_on).label("last_moved_on"),
                )
                for row in self.rows
            )
        )


@pytest.fixture
def held(runtime: Runtime) -> Iterator[Holdings]:
    plugin = Holdings()
    runtime.plugins.manager.register(plugin, name="test-marketing-holdings")
    yield plugin
    runtime.plugins.manager.unregister(plugin)


def today(bank: Bank) -> date:
    return bank.runtime.settings.today()


def days(bank: Bank, offset: int) -> date:
    return today(bank) + timedelta(days=offset)


async def hold(
    bank: Bank,
    held: Holdings,
    customer: dict[str, Any],
    code: str,
    amount: str,
    *,
    category: str = "DEPOSIT",
    matures_on: date | None = None,
    last_moved_on: date | None = None,
) -> None:
    held.rows.append(
        Holding(
            await bank.customer_id(customer),
            code,
            category,
            Decimal(amount),
            matures_on,
            last_moved_on,
        )
    )


async def client_with(
    bank: Bank, tier: str = "MASS", profile: str | None = "C3", **changes: Any
) -> dict[str, Any]:
    """A customer of BJ-001 of ``tier``, with risk ``profile`` assessed today."""
    customer = await bank.register(**changes)
    await bank.change(customer, tier=tier)
    if profile is not None:
        await assessed(bank, customer, profile, today(bank))
    return customer


async def upgraded(bank: Bank, customer: dict[str, Any], from_tier: str, to_tier: str, on: date):
    """Record that the customer's tier moved from ``from_tier`` to ``to_tier`` on ``on``."""
    await bank.change(customer, tier=to_tier)
    customer_id = await bank.customer_id(customer)
    async with bank.runtime.database.transaction(Mode.WRITE) as session:
        session.add(
            TierChange(
                customer_id=customer_id,
                from_tier=from_tier,
                to_tier=to_tier,
                assets=Decimal("600000.00"),
                business_date=on,
            )
        )


async def offers(
    bank: Bank, customer: dict[str, Any], by: str = "bj.rm", limit: int | None = None
) -> list[dict[str, Any]]:
    caller = await bank.sign_in(by)
    variables = {"id": customer["id"]} | ({} if limit is None else {"limit": limit})
    return (await caller.data(OFFERS, variables))["customer"]["recommendations"]


def codes_of(found: list[dict[str, Any]]) -> list[str]:
    return [offer["product"]["code"] for offer in found]


def reasons_of(found: list[dict[str, Any]]) -> set[str]:
    return {reason for offer in found for reason in offer["reasons"]}


NO_WEALTH, NO_INSURANCE, NO_CARD = "尚未持有理财产品", "尚未持有保险产品", "尚未持有信用卡产品"


# ------------------------------------------------------------------ each rule


async def test_a_fixed_deposit_maturing_within_30_days_brings_deposits_and_wealth_products(
    bank: Bank, held: Holdings
):
    customer = await client_with(bank)
    await bank.assign(customer, "bj.rm")
    matures = days(bank, 10)
    await hold(bank, held, customer, "FIXED-CNY", "200000.00", matures_on=matures)

    found = await offers(bank, customer)

    maturing = f"定期存款 ¥200,000.00 将于 {matures.isoformat()} 到期"
    assert found == [
        {"product": {"code": "WM-R2-STEADY"}, "score": 50, "reasons": [maturing, NO_WEALTH]},
        {"product": {"code": "DEP-CD-3Y"}, "score": 40, "reasons": [maturing]},
        {"product": {"code": "INS-ANNUITY"}, "score": 10, "reasons": [NO_INSURANCE]},
    ]


async def test_several_maturing_deposits_are_summed_and_reach_a_higher_minimum_together(
    bank: Bank, held: Holdings
):
    customer = await client_with(bank)
    await bank.assign(customer, "bj.rm")
    first, second = days(bank, 5), days(bank, 30)
    await hold(bank, held, customer, "FIXED-CNY", "100000.00", matures_on=first)
    await hold(bank, held, customer, "FIXED-CNY", "150000.00", matures_on=second)
    await hold(bank, held, customer, "FIXED-CNY", "900000.00", matures_on=days(bank, 31))
    await hold(bank, held, customer, "FIXED-CNY", "900000.00", matures_on=days(bank, -1))

    found = await offers(bank, customer)

    both = f"2 笔定期存款共 ¥250,000.00 将于 {first.isoformat()} 起陆续到期"
    assert {offer["product"]["code"]: offer["reasons"] for offer in found}["DEP-CD-3Y"] == [both]


async def test_a_deposit_maturing_too_late_or_already_matured_is_no_reason(
    bank: Bank, held: Holdings
):
    customer = await client_with(bank)
    await bank.assign(customer, "bj.rm")
    await hold(bank, held, customer, "FIXED-CNY", "300000.00", matures_on=days(bank, 31))
    await hold(bank, held, customer, "FIXED-CNY", "300000.00", matures_on=days(bank, -1))

    found = await offers(bank, customer)

    assert reasons_of(found) == {NO_WEALTH, NO_INSURANCE}
    assert "DEP-CD-3Y" not in codes_of(found)


async def test_an_idle_demand_balance_of_50000_unmoved_for_30_days_brings_wealth_products(
    bank: Bank, held: Holdings
):
    customer = await client_with(bank)
    await bank.assign(customer, "bj.rm")
    await hold(bank, held, customer, "DEMAND-CNY", "30000.00", last_moved_on=days(bank, -45))
    await hold(bank, held, customer, "DEMAND-USD", "50000.00", last_moved_on=days(bank, -30))

    found = await offers(bank, customer)

    idle = "活期存款 ¥80,000.00 已超过 30 天未动用"
    assert found == [
        {"product": {"code": "WM-R2-STEADY"}, "score": 40, "reasons": [idle, NO_WEALTH]},
        {"product": {"code": "INS-ANNUITY"}, "score": 10, "reasons": [NO_INSURANCE]},
    ]  # not DEP-CD-3Y: ¥80,000 does not reach its ¥200,000


@pytest.mark.parametrize(
    ("amount", "moved_days_ago"),
    [("49999.99", 45), ("80000.00", 29)],
    ids=["too little", "moved lately"],
)
async def test_a_balance_too_small_or_moved_lately_is_not_idle(
    bank: Bank, held: Holdings, amount: str, moved_days_ago: int
):
    customer = await client_with(bank)
    await bank.assign(customer, "bj.rm")
    await hold(
        bank, held, customer, "DEMAND-CNY", amount, last_moved_on=days(bank, -moved_days_ago)
    )

    assert reasons_of(await offers(bank, customer)) == {NO_WEALTH, NO_INSURANCE}


async def test_a_tier_just_reached_brings_the_products_it_newly_opens(bank: Bank):
    customer = await client_with(bank, "AFFLUENT", "C4")
    await bank.assign(customer, "bj.rm")
    on = days(bank, -5)
    await upgraded(bank, customer, "AFFLUENT", "WEALTH", on)

    found = await offers(bank, customer)

    reached = f"客户等级于 {on.isoformat()} 升至财富客户"
    assert found == [
        {"product": {"code": "WM-R4-EQUITY"}, "score": 35, "reasons": [reached, NO_WEALTH]},
        # the rest only fill gaps, by code; WM-R3 and the card were open to AFFLUENT already
        {"product": {"code": "CARD-PLATINUM"}, "score": 10, "reasons": [NO_CARD]},
        {"product": {"code": "INS-ANNUITY"}, "score": 10, "reasons": [NO_INSURANCE]},
        {"product": {"code": "WM-R2-STEADY"}, "score": 10, "reasons": [NO_WEALTH]},
        {"product": {"code": "WM-R3-BALANCED"}, "score": 10, "reasons": [NO_WEALTH]},
    ]
    assert codes_of(await offers(bank, customer, limit=2)) == ["WM-R4-EQUITY", "CARD-PLATINUM"]


@pytest.mark.parametrize(
    ("from_tier", "days_ago"),
    [("AFFLUENT", 31), ("PRIVATE", 5)],
    ids=["too long ago", "a downgrade"],
)
async def test_a_tier_reached_long_ago_or_by_a_downgrade_is_no_reason(
    bank: Bank, from_tier: str, days_ago: int
):
    customer = await client_with(bank, "AFFLUENT", "C4")
    await bank.assign(customer, "bj.rm")
    await upgraded(bank, customer, from_tier, "WEALTH", days(bank, -days_ago))

    found = await offers(bank, customer)

    assert reasons_of(found) == {NO_WEALTH, NO_INSURANCE, NO_CARD}
    assert found[0] == {
        "product": {"code": "CARD-PLATINUM"},
        "score": 10,
        "reasons": [NO_CARD],
    }


# ------------------------------------------------------------------ never offered


async def test_a_product_held_with_another_plugin_or_bought_in_a_campaign_is_not_offered(
    bank: Bank, held: Holdings
):
    customer = await client_with(bank, "AFFLUENT")
    await bank.assign(customer, "bj.rm")
    await hold(bank, held, customer, "WM-R2-STEADY", "10000.00", category="WEALTH")
    campaign = await launched(bank, customer, productCode="CARD-PLATINUM")
    await stand(bank, campaign, customer, "CONVERTED")

    found = await offers(bank, customer)

    # the card and the R2 product are held, and so the categories are no gap
    assert found == [{"product": {"code": "INS-ANNUITY"}, "score": 10, "reasons": [NO_INSURANCE]}]


async def test_a_campaign_not_converted_does_not_make_its_product_held(bank: Bank):
    customer = await client_with(bank, "AFFLUENT")
    await bank.assign(customer, "bj.rm")
    campaign = await launched(bank, customer, productCode="CARD-PLATINUM")
    await stand(bank, campaign, customer, "DECLINED")

    assert "CARD-PLATINUM" in codes_of(await offers(bank, customer))


@pytest.mark.parametrize(
    ("profile", "assessed_days_ago", "wealth"),
    [
        ("C1", 0, []),  # too cautious for R2
        ("C2", 0, ["WM-R2-STEADY"]),
        (None, None, []),  # never assessed
        ("C5", 366, []),  # assessed too long ago
    ],
    ids=["C1", "C2", "never assessed", "assessment expired"],
)
async def test_an_unsuitable_product_is_never_offered_however_strong_the_signal(
    bank: Bank,
    held: Holdings,
    profile: str | None,
    assessed_days_ago: int | None,
    wealth: list[str],
):
    customer = await client_with(bank, profile=None)
    await bank.assign(customer, "bj.rm")
    if profile is not None and assessed_days_ago is not None:
        await assessed(bank, customer, profile, days(bank, -assessed_days_ago))
    await hold(bank, held, customer, "DEMAND-CNY", "900000.00", last_moved_on=days(bank, -90))

    found = await offers(bank, customer)

    assert [code for code in codes_of(found) if code.startswith("WM")] == wealth
    assert "DEP-CD-3Y" in codes_of(found)  # no risk level: suits everyone


async def test_a_closed_customer_is_offered_nothing(bank: Bank, held: Holdings):
    customer = await client_with(bank)
    await bank.assign(customer, "bj.rm")
    await hold(bank, held, customer, "DEMAND-CNY", "900000.00", last_moved_on=days(bank, -90))
    await bank.change(customer, status="CLOSED")

    assert await offers(bank, customer, by="admin") == []


async def test_a_product_off_sale_is_never_offered(bank: Bank):
    customer = await client_with(bank)
    await bank.assign(customer, "bj.rm")
    yesterday, tomorrow = days(bank, -1).isoformat(), days(bank, 1).isoformat()
    await product(bank, "WM-R1-OPEN", salesFrom=yesterday, salesTo=tomorrow)
    await product(bank, "WM-R1-ENDED", salesTo=yesterday)
    await product(bank, "WM-R1-LATER", salesFrom=tomorrow)
    await product(bank, "WM-R1-WITHDRAWN", active=False)

    found = await offers(bank, customer, limit=20)

    assert [code for code in codes_of(found) if code.startswith("WM-R1")] == ["WM-R1-OPEN"]


# ------------------------------------------------------------------ without finance


async def test_without_a_plugin_holding_products_only_the_customer_rules_apply(
    bank: Bank, held: Holdings
):
    customer = await client_with(bank, "AFFLUENT", "C4")
    on = days(bank, -5)
    await upgraded(bank, customer, "AFFLUENT", "WEALTH", on)
    await hold(bank, held, customer, "FIXED-CNY", "900000.00", matures_on=days(bank, 3))
    without_finance = load_plugins(("security", "customer", "marketing"))
    assert holdings_table(without_finance) is None

    async with bank.runtime.database.transaction(Mode.READ) as session:
        row = await session.get_one(Customer, await bank.customer_id(customer))
        found = (await recommend(session, without_finance, [row], today(bank)))[row.id]
        with_finance = (await recommend(session, bank.runtime.plugins, [row], today(bank)))[row.id]

    reached = f"客户等级于 {on.isoformat()} 升至财富客户"
    assert {reason for offer in found for reason in offer.reasons} == {
        reached,
        NO_WEALTH,
        NO_INSURANCE,
        NO_CARD,
    }
    assert "DEP-CD-3Y" not in [offer.product.code for offer in found]
    assert "DEP-CD-3Y" in [offer.product.code for offer in with_finance]  # the maturing deposit


# ------------------------------------------------------------------ access and limits


async def test_staff_without_marketing_read_see_no_offers(bank: Bank):
    customer = await client_with(bank, "AFFLUENT")

    assert await offers(bank, customer, by="bj.agent") == []
    assert codes_of(await offers(bank, customer, by="bj.teller"))


@pytest.mark.parametrize("limit", [0, 21])
async def test_the_limit_is_between_1_and_20(bank: Bank, limit: int):
    customer = await client_with(bank)
    caller = await bank.sign_in("admin")

    body = await caller.execute(OFFERS, {"id": customer["id"], "limit": limit})

    assert error_codes(body) == ["INVALID_LIMIT"]


# ------------------------------------------------------------------ cost

PAGE = """
query($first: Int) {
  customers(first: $first) {
    edges { node { name recommendations { product { code name } score reasons } } }
  }
}
"""


async def test_a_page_of_customers_with_their_offers_costs_the_same_for_3_as_for_30(
    bank: Bank, held: Holdings, sql
):
    for _ in range(30):
        customer = await client_with(bank, "AFFLUENT", "C4")
        await upgraded(bank, customer, "AFFLUENT", "WEALTH", days(bank, -1))
        await hold(bank, held, customer, "FIXED-CNY", "300000.00", matures_on=days(bank, 7))
        await hold(bank, held, customer, "DEMAND-CNY", "60000.00", last_moved_on=days(bank, -60))
    caller = await bank.sign_in("bj.manager")
    await caller.data(PAGE, {"first": 1})

    counts = []
    for first in (3, 30):
        sql.reset()
        body = await caller.data(PAGE, {"first": first})
        edges = body["customers"]["edges"]
        assert len(edges) == first
        assert {
            tuple(
                (offer["product"]["code"], offer["score"])
                for offer in edge["node"]["recommendations"]
            )
            for edge in edges
        } == {
            (
                ("WM-R2-STEADY", 80),
                ("WM-R3-BALANCED", 80),
                ("WM-R4-EQUITY", 75),
                ("DEP-CD-3Y", 40),
                ("CARD-PLATINUM", 10),
            )
        }
        counts.append(sql.count)

    assert counts[0] == counts[1], sql.statements
    # the user and roles 1, the page 1 (no count: not asked for), the customers in
    # scope 1, the products on sale 1, the holdings 1, the conversions 1, the tier
    # changes 1
    assert counts[1] == 7, sql.statements
