"""Service tiers follow assets under management, wherever the assets are held."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from core.db import Mode
from plugins.customer.models import Customer, CustomerStatus, TierChange
from plugins.customer.settings import CustomerSettings
from plugins.customer.tiers import recompute_tiers
from tests.plugins.customer.conftest import global_id as gid
from tests.plugins.customer.people import register

TODAY = date(2026, 11, 29)

RECOMPUTE = "mutation { recomputeTiers { examined upgraded downgraded errors { code } } }"
HISTORY = """query($id: ID!) { customer(id: $id) { tier tierHistory {
  fromTier toTier assets { amount currency } } } }"""


@pytest.mark.parametrize(
    ("assets", "tier"),
    [
        ("0", "MASS"),
        ("49999.99", "MASS"),
        ("50000", "AFFLUENT"),
        ("499999.99", "AFFLUENT"),
        ("500000", "WEALTH"),
        ("5999999.99", "WEALTH"),
        ("6000000", "PRIVATE"),
    ],
)
def test_the_default_thresholds(assets, tier):
    assert CustomerSettings().tier_for(Decimal(assets)) == tier


def test_thresholds_must_rise(monkeypatch):
    monkeypatch.setenv("CRM_TIER_WEALTH_FROM", "10000")

    with pytest.raises(ValueError, match="CRM_TIER_AFFLUENT_FROM < CRM_TIER_WEALTH_FROM"):
        CustomerSettings()


async def test_without_assets_everyone_stays_mass(admin, runtime, staff):
    await staff.branch("BJ-001")
    await register(runtime, 1)

    body = await admin.data(RECOMPUTE)

    assert body["recomputeTiers"] == {"examined": 1, "upgraded": 0, "downgraded": 0, "errors": []}


async def test_an_upgrade_is_kept_in_the_history_with_the_assets(admin, runtime, staff, holdings):
    await staff.branch("BJ-001")
    customer = await register(runtime, 1)
    holdings.by_customer[customer.id] = Decimal("520000.50")

    recomputed = await admin.data(RECOMPUTE)
    body = await admin.data(HISTORY, {"id": gid("Customer", customer.id)})

    assert recomputed["recomputeTiers"]["upgraded"] == 1
    assert body["customer"] == {
        "tier": "WEALTH",
        "tierHistory": [
            {
                "fromTier": "MASS",
                "toTier": "WEALTH",
                "assets": {"amount": "520000.50", "currency": "CNY"},
            }
        ],
    }


async def test_a_downgrade_counts_as_one(admin, runtime, staff, holdings):
    await staff.branch("BJ-001")
    customer = await register(runtime, 1)
    holdings.by_customer[customer.id] = Decimal(7_000_000)
    await admin.data(RECOMPUTE)
    holdings.by_customer[customer.id] = Decimal(60_000)

    body = await admin.data(RECOMPUTE)

    assert body["recomputeTiers"] == {"examined": 1, "upgraded": 0, "downgraded": 1, "errors": []}


async def test_recomputing_again_changes_nothing(admin, runtime, staff, holdings):
    await staff.branch("BJ-001")
    customer = await register(runtime, 1)
    holdings.by_customer[customer.id] = Decimal(60_000)
    await admin.data(RECOMPUTE)

    body = await admin.data(RECOMPUTE)

    assert body["recomputeTiers"]["upgraded"] == 0
    async with runtime.database.transaction(Mode.READ) as session:
        assert len(list(await session.scalars(select(TierChange)))) == 1


async def test_the_batch_works_through_customers_in_chunks(runtime, staff, holdings, monkeypatch):
    monkeypatch.setattr("plugins.customer.tiers.CHUNK", 2)
    await staff.branch("BJ-001")
    customers = [await register(runtime, n) for n in range(1, 6)]
    for customer in customers[::2]:
        holdings.by_customer[customer.id] = Decimal(50_000)

    async with runtime.database.transaction(Mode.WRITE) as session:
        done = await recompute_tiers(session, runtime.plugins, runtime.events, on=TODAY)

    assert (done.examined, done.upgraded) == (5, 3)
    async with runtime.database.transaction(Mode.READ) as session:
        tiers = list(await session.scalars(select(Customer.tier).order_by(Customer.id)))
    assert tiers == ["AFFLUENT", "MASS", "AFFLUENT", "MASS", "AFFLUENT"]


async def test_each_change_is_announced_to_other_plugins(runtime, staff, holdings):
    announced = []

    async def listen(event, session):  # type: ignore[no-untyped-def]
        announced.append((event.name, event.from_tier, event.to_tier, event.is_upgrade))

    stop = runtime.events.subscribe("customer.tier_changed", listen)
    await staff.branch("BJ-001")
    customer = await register(runtime, 1)
    holdings.by_customer[customer.id] = Decimal(6_000_000)

    async with runtime.database.transaction(Mode.WRITE) as session:
        await recompute_tiers(session, runtime.plugins, runtime.events, on=TODAY)
    stop()

    assert announced == [("customer.tier_changed", "MASS", "PRIVATE", True)]


async def test_only_active_customers_move_even_within_a_chunk(
    runtime, staff, holdings, monkeypatch
):
    monkeypatch.setattr("plugins.customer.tiers.CHUNK", 2)
    await staff.branch("BJ-001")
    customers = [await register(runtime, n) for n in range(1, 5)]
    for customer in customers:
        holdings.by_customer[customer.id] = Decimal(600_000)
    async with runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == customers[1].id)
            .values(status=CustomerStatus.CLOSED)
        )

    async with runtime.database.transaction(Mode.WRITE) as session:
        done = await recompute_tiers(
            session,
            runtime.plugins,
            runtime.events,
            [customers[1].id, customers[2].id, customers[3].id],
            on=TODAY,
        )

    assert (done.examined, done.upgraded) == (2, 2)
    async with runtime.database.transaction(Mode.READ) as session:
        tiers = list(await session.scalars(select(Customer.tier).order_by(Customer.id)))
    assert tiers == ["MASS", "MASS", "WEALTH", "WEALTH"]
