"""Named number sequences hand out each number once, in order."""

from __future__ import annotations

import pytest

from core.db import Mode
from core.runtime import Runtime
from core.sequences import next_number


async def take(runtime: Runtime, name: str) -> int:
    async with runtime.database.transaction(Mode.WRITE) as session:
        return await next_number(session, name)


async def test_a_sequence_starts_at_one_and_counts_up(runtime):
    assert [await take(runtime, "customer") for _ in range(3)] == [1, 2, 3]


async def test_sequences_count_independently(runtime):
    await take(runtime, "customer")
    await take(runtime, "customer")

    assert await take(runtime, "ticket") == 1


async def test_a_rolled_back_number_is_handed_out_again(runtime):
    await take(runtime, "customer")

    async def take_then_fail() -> None:
        async with runtime.database.transaction(Mode.WRITE) as session:
            assert await next_number(session, "customer") == 2
            raise RuntimeError("the customer was not created")

    with pytest.raises(RuntimeError):
        await take_then_fail()

    assert await take(runtime, "customer") == 2
