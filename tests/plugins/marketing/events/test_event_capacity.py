"""The last seat goes once: acceptances are counted under a lock on the
event's row, so two requests racing for it cannot both take it (on SQLite the
write transactions take turns; on PostgreSQL the second waits for the lock)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from core.authorization import Principal, Role
from core.db import Mode
from core.errors import BusinessError
from plugins.customer.models import Customer
from plugins.marketing.events.invitations import answer_invitation
from tests.plugins.customer.conftest import Bank
from tests.plugins.marketing.events.conftest import Organizer, codes, db_id


def teller(bank: Bank) -> Principal:
    return Principal(
        user_id=bank.user_ids["bj.teller"],
        username="bj.teller",
        roles=frozenset({Role.TELLER}),
        branch_id=bank.branch_ids["BJ-001"],
        permissions=frozenset(),
    )


async def test_two_sessions_racing_for_the_last_seat_take_it_once(bank: Bank, organizer: Organizer):
    first, second = await bank.register(), await bank.register()
    event = await organizer.plan(capacity=1)
    await organizer.invite(event, first, second)

    async def accept(customer: dict[str, Any]) -> str:
        try:
            async with bank.runtime.database.transaction(Mode.WRITE) as session:
                row = await session.scalar(
                    select(Customer).where(Customer.customer_no == customer["customerNo"])
                )
                await answer_invitation(session, teller(bank), db_id(event), row, True)  # type: ignore[arg-type]
                await asyncio.sleep(0.2)  # still in the transaction: the other one must wait
            return "ACCEPTED"
        except BusinessError as error:
            return error.code

    results = await asyncio.gather(accept(first), accept(second))

    assert sorted(results) == ["ACCEPTED", "EVENT_FULL"]
    assert sorted((await organizer.guests(event)).values()) == ["ACCEPTED", "INVITED"]
    assert (await organizer.read(event))["acceptedCount"] == 1  # type: ignore[index]


async def test_many_acceptances_at_once_fill_exactly_the_seats(bank: Bank, organizer: Organizer):
    guests = [await bank.register() for _ in range(8)]
    event = await organizer.plan(capacity=3)
    await organizer.invite(event, *guests)

    payloads = await asyncio.gather(*(organizer.answering(event, g, True) for g in guests))

    assert sorted(code for payload in payloads for code in codes(payload)) == ["EVENT_FULL"] * 5
    assert sorted((await organizer.guests(event)).values()) == ["ACCEPTED"] * 3 + ["INVITED"] * 5
