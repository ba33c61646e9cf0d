"""``locked_row``: the one row a mutation changes, locked and read afresh."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from core.db import Mode
from core.row_lock import locked_row
from core.runtime import Runtime
from plugins.security import services
from plugins.security.models import Branch


@pytest.fixture
async def branch_id(runtime: Runtime) -> int:
    async with runtime.database.transaction(Mode.WRITE) as session:
        branch = await services.create_branch(session, "BJ-001", "北京分行")
    assert branch.id is not None
    return branch.id


async def test_the_row_is_read_afresh_even_when_the_session_holds_it(
    runtime: Runtime, branch_id: int
) -> None:
    async with runtime.database.transaction(Mode.WRITE) as session:
        held = await session.get_one(Branch, branch_id)
        await session.execute(  # changed behind the session's back
            update(Branch.__table__)  # type: ignore[attr-defined]
            .where(Branch.__table__.c.id == branch_id)  # type: ignore[attr-defined]
            .values(name="北京分行营业部")
        )
        assert held.name == "北京分行"

        locked = await locked_row(session, Branch, branch_id)

        assert locked is held
        assert locked.name == "北京分行营业部"


async def test_no_row_when_there_is_none_or_it_is_out_of_the_conditions(
    runtime: Runtime, branch_id: int
) -> None:
    async with runtime.database.transaction(Mode.WRITE) as session:
        assert await locked_row(session, Branch, branch_id + 1) is None
        assert await locked_row(session, Branch, None) is None
        assert await locked_row(session, Branch, branch_id, Branch.code == "SH-001") is None
        found = await locked_row(session, Branch, branch_id, Branch.code == "BJ-001")
        assert found is not None
        assert found.id == branch_id


async def test_a_second_writer_waits_for_the_lock_and_then_sees_the_first_ones_change(
    runtime: Runtime, branch_id: int
) -> None:
    """No lost update: the second read of the row comes after the first commit."""
    if runtime.database.is_sqlite:
        pytest.skip("on SQLite a write transaction holds the whole database (test_db.py)")
    second_read = asyncio.Event()

    async def second_writer() -> str:
        async with runtime.database.transaction(Mode.WRITE) as session:
            branch = await locked_row(session, Branch, branch_id)
            second_read.set()
            assert branch is not None
            return branch.name

    async with runtime.database.transaction(Mode.WRITE) as session:
        branch = await locked_row(session, Branch, branch_id)
        assert branch is not None
        branch.name = "北京分行营业部"
        await session.flush()
        waiting = asyncio.create_task(second_writer())
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(second_read.wait(), 0.5)

    assert await waiting == "北京分行营业部"
