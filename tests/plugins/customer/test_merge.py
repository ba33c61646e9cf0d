"""Merging a customer registered twice: everything moves, in every plugin, or nothing does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from core.columns import utcnow
from core.db import Mode
from core.errors import BusinessError
from core.hookspecs import hookimpl
from plugins.customer.models import (
    ContactChannel,
    ContactDirection,
    Customer,
    CustomerKind,
    CustomerTag,
    Interaction,
)
from plugins.security.models import User
from tests.plugins.customer.conftest import global_id as gid
from tests.plugins.customer.people import register

MERGE = """mutation($s: ID!, $d: ID!) {
  mergeCustomers(input: {survivorId: $s, duplicateId: $d}) {
    customer { customerNo tags } errors { code field } } }"""


class Ledger:
    """Another plugin holding something for customers, as finance would."""

    def __init__(self, refuse: bool = False) -> None:
        self.moved: list[tuple[int, int]] = []
        self.refuse = refuse

    @hookimpl
    def crm_customer_merge(self, session, survivor_id, duplicate_id):  # type: ignore[no-untyped-def]
        async def move() -> None:
            if self.refuse:
                raise BusinessError("ACCOUNTS_IN_TWO_CURRENCIES", "Cannot merge these accounts.")
            self.moved.append((survivor_id, duplicate_id))

        return move()


@pytest.fixture
def ledger(runtime) -> Iterator[Ledger]:
    plugin = Ledger()
    runtime.plugins.manager.register(plugin, name="test-ledger")
    yield plugin
    runtime.plugins.manager.unregister(plugin)


@pytest.fixture
async def pair(runtime, staff):
    await staff.branch("BJ-001")
    survivor = await register(runtime, 1, name="张伟")
    duplicate = await register(runtime, 2, name="张伟", phone="13812345678")
    async with runtime.database.transaction(Mode.WRITE) as session:
        session.add_all(
            [
                CustomerTag(customer_id=survivor.id, tag="高净值"),
                CustomerTag(customer_id=duplicate.id, tag="高净值"),
                CustomerTag(customer_id=duplicate.id, tag="企业主"),
            ]
        )
    return survivor, duplicate


async def load(runtime, customer_id: int) -> Customer:
    async with runtime.database.transaction(Mode.READ) as session:
        return await session.get(Customer, customer_id)


async def test_a_merge_moves_what_the_duplicate_holds_and_closes_it(admin, runtime, pair, ledger):
    survivor, duplicate = pair

    body = await admin.data(
        MERGE, {"s": gid("Customer", survivor.id), "d": gid("Customer", duplicate.id)}
    )

    assert body["mergeCustomers"]["errors"] == []
    assert body["mergeCustomers"]["customer"]["tags"] == ["企业主", "高净值"]
    closed = await load(runtime, duplicate.id)
    assert (closed.status, closed.merged_into_id) == ("CLOSED", survivor.id)
    assert (await load(runtime, survivor.id)).phone == "13812345678"
    assert ledger.moved == [(survivor.id, duplicate.id)]


async def test_the_duplicates_contact_history_moves_to_the_survivor(admin, runtime, pair, ledger):
    survivor, duplicate = pair
    async with runtime.database.transaction(Mode.WRITE) as session:
        root = await session.scalar(select(User.id).where(User.username == "root"))
        session.add(
            Interaction(
                customer_id=duplicate.id,
                channel=ContactChannel.CALL,
                direction=ContactDirection.OUTBOUND,
                summary="回访",
                staff_id=root,
                occurred_at=utcnow(),
            )
        )

    await admin.data(MERGE, {"s": gid("Customer", survivor.id), "d": gid("Customer", duplicate.id)})

    async with runtime.database.transaction(Mode.READ) as session:
        owners = list(await session.scalars(select(Interaction.customer_id)))
    assert owners == [survivor.id]


async def test_a_plugin_refusing_the_merge_undoes_all_of_it(admin, runtime, pair, ledger):
    survivor, duplicate = pair
    ledger.refuse = True

    body = await admin.data(
        MERGE, {"s": gid("Customer", survivor.id), "d": gid("Customer", duplicate.id)}
    )

    assert body["mergeCustomers"]["errors"] == [
        {"code": "ACCOUNTS_IN_TWO_CURRENCIES", "field": None}
    ]
    assert (await load(runtime, duplicate.id)).status == "ACTIVE"
    async with runtime.database.transaction(Mode.READ) as session:
        tags = list(
            await session.scalars(
                select(CustomerTag.tag).where(CustomerTag.customer_id == duplicate.id)
            )
        )
    assert sorted(tags) == ["企业主", "高净值"]


async def test_a_customer_cannot_be_merged_into_itself(admin, pair):
    survivor, _ = pair

    body = await admin.data(
        MERGE, {"s": gid("Customer", survivor.id), "d": gid("Customer", survivor.id)}
    )

    assert body["mergeCustomers"]["errors"] == [
        {"code": "SAME_CUSTOMER", "field": ["input", "duplicateId"]}
    ]


async def test_a_person_and_a_company_are_never_merged(admin, runtime, pair):
    survivor, _ = pair
    company = await register(runtime, 3, name="北京某某科技有限公司", kind=CustomerKind.CORPORATE)

    body = await admin.data(
        MERGE, {"s": gid("Customer", survivor.id), "d": gid("Customer", company.id)}
    )

    assert body["mergeCustomers"]["errors"] == [
        {"code": "KIND_MISMATCH", "field": ["input", "duplicateId"]}
    ]
