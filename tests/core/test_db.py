from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from core import db
from core.authorization import Role
from core.columns import utcnow
from core.database_errors import DatabaseBusy, DatabaseUnavailable, database_failure
from core.db import Database, Mode, SerializedSession
from core.runtime import Runtime
from plugins.security import services
from plugins.security.models import Branch, SignInSession
from tests.conftest import GraphQLClient, Staff
from tests.core.conftest import UNREACHABLE_DATABASE
from tests.plugins.security.conftest import CREATE_BRANCH


async def branch_codes(runtime: Runtime) -> list[str]:
    async with runtime.database.transaction(Mode.READ) as session:
        return list(await session.scalars(select(Branch.code).order_by(Branch.code)))


@pytest.fixture
def begun(runtime: Runtime) -> Iterator[list[Mode]]:
    """The mode of every transaction the application begins while the test runs."""
    modes: list[Mode] = []

    def record(connection: Any) -> None:
        modes.append(connection.get_execution_options().get("crm_transaction_mode"))

    engine = runtime.database.engine.sync_engine
    event.listen(engine, "begin", record)
    yield modes
    event.remove(engine, "begin", record)


async def test_a_write_transaction_commits(runtime: Runtime) -> None:
    async with runtime.database.transaction(Mode.WRITE) as session:
        await services.create_branch(session, "BJ-001", "北京分行")

    assert await branch_codes(runtime) == ["BJ-001"]


async def test_a_transaction_rolls_back_when_its_block_raises(runtime: Runtime) -> None:
    async def open_then_fail() -> None:
        async with runtime.database.transaction(Mode.WRITE) as session:
            await services.create_branch(session, "BJ-001", "北京分行")
            raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        await open_then_fail()

    assert await branch_codes(runtime) == []


async def test_a_read_transaction_refuses_to_write(runtime: Runtime) -> None:
    with pytest.raises(DBAPIError, match=r"read-only|readonly"):
        async with runtime.database.transaction(Mode.READ) as session:
            await services.create_branch(session, "BJ-001", "北京分行")

    assert await branch_codes(runtime) == []


async def test_a_write_transaction_after_a_read_one_can_write(runtime: Runtime) -> None:
    for _ in range(3):
        async with runtime.database.transaction(Mode.READ) as session:
            await session.execute(select(1))

    async with runtime.database.transaction(Mode.WRITE) as session:
        await services.create_branch(session, "BJ-001", "北京分行")

    assert await branch_codes(runtime) == ["BJ-001"]


@pytest.mark.parametrize(
    ("mode", "isolation", "read_only"),
    [(Mode.READ, "repeatable read", "on"), (Mode.WRITE, "read committed", "off")],
)
async def test_postgresql_transaction_isolation_by_mode(
    runtime: Runtime, mode: Mode, isolation: str, read_only: str
) -> None:
    if runtime.database.is_sqlite:
        pytest.skip("isolation levels are PostgreSQL's")

    async with runtime.database.transaction(mode) as session:
        assert await session.scalar(text("SHOW transaction_isolation")) == isolation
        assert await session.scalar(text("SHOW transaction_read_only")) == read_only


async def test_a_read_transaction_sees_one_snapshot(runtime: Runtime) -> None:
    count = select(func.count()).select_from(Branch)
    async with runtime.database.transaction(Mode.READ) as reading:
        before = await reading.scalar(count)
        async with runtime.database.transaction(Mode.WRITE) as writing:
            await services.create_branch(writing, "BJ-001", "北京分行")
        during = await reading.scalar(count)

    assert (before, during) == (0, 0)
    assert await branch_codes(runtime) == ["BJ-001"]


async def test_sqlite_write_transactions_take_the_write_lock_at_once(runtime: Runtime) -> None:
    if not runtime.database.is_sqlite:
        pytest.skip("BEGIN IMMEDIATE is SQLite's")
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("BEGIN"):
            statements.append(statement)

    engine = runtime.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        async with runtime.database.transaction(Mode.WRITE) as session:
            await session.execute(select(1))
        async with runtime.database.transaction(Mode.READ) as session:
            await session.execute(select(1))
    finally:
        event.remove(engine, "before_cursor_execute", record)

    assert statements == ["BEGIN IMMEDIATE", "BEGIN"]


async def test_sqlite_writers_take_turns_in_the_order_they_came(runtime: Runtime) -> None:
    if not runtime.database.is_sqlite:
        pytest.skip("the write-turn queue is SQLite's")
    order: list[int] = []

    async def writer(number: int) -> None:
        async with runtime.database.transaction(Mode.WRITE) as session:
            await session.execute(select(1))
            order.append(number)
            await asyncio.sleep(0.01)  # hold the write lock a moment

    await asyncio.gather(*(writer(n) for n in range(20)))

    assert order == list(range(20))


async def test_a_writer_waiting_too_long_for_its_turn_is_told_to_retry(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not runtime.database.is_sqlite:
        pytest.skip("the write-turn queue is SQLite's")
    monkeypatch.setattr(db, "LOCK_WAIT_MS", 50)
    async with runtime.database.transaction(Mode.WRITE) as holder:
        await holder.execute(select(1))
        with pytest.raises(DatabaseBusy) as refused:
            async with runtime.database.transaction(Mode.WRITE) as waiting:
                await waiting.execute(select(1))

    assert refused.value.extensions == {"code": "DATABASE_BUSY", "retryable": True}
    async with runtime.database.transaction(Mode.WRITE) as after:  # the queue moves on
        await after.execute(select(1))


async def test_a_mutation_whose_sign_in_is_due_a_keep_alive_is_answered_at_once(
    runtime: Runtime, client: GraphQLClient, staff: Staff
) -> None:
    await staff.user("admin", Role.ADMIN)
    signed_in = await client.sign_in("admin")
    idle_since = utcnow() - timedelta(minutes=5)
    async with runtime.database.transaction(Mode.WRITE) as session:
        await session.execute(update(SignInSession).values(last_seen_at=idle_since))

    async with asyncio.timeout(5):  # SQLite waited 15 s for its own lock, then failed
        body = await signed_in.data(CREATE_BRANCH, {"code": "BJ-001", "name": "北京分行"})

    assert body["createBranch"]["errors"] == []
    async with runtime.database.transaction(Mode.READ) as session:
        seen = await session.scalar(select(func.max(SignInSession.last_seen_at)))
    assert seen > idle_since


async def test_sessions_serialize_concurrent_statements(runtime: Runtime) -> None:
    async with runtime.database.transaction(Mode.READ) as session:
        assert isinstance(session, SerializedSession)
        results = await asyncio.gather(*(session.execute(select(i)) for i in range(20)))

    assert [result.scalar_one() for result in results] == list(range(20))


async def test_a_graphql_query_runs_in_a_read_transaction(
    client: GraphQLClient, staff: Staff, begun: list[Mode]
) -> None:
    await staff.user("admin", Role.ADMIN)
    signed_in = await client.sign_in("admin")
    begun.clear()

    await signed_in.data("{ me { username } branches { code } }")

    assert begun == [Mode.READ]


async def test_a_graphql_mutation_runs_in_a_write_transaction(
    client: GraphQLClient, begun: list[Mode]
) -> None:
    body = await client.data(
        'mutation { login(input: {username: "nobody", password: "wrong password"}) '
        "{ errors { code } } }"
    )

    assert body["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert begun == [Mode.WRITE]


async def test_ping_raises_when_the_database_cannot_be_reached() -> None:
    database = Database(make_url(UNREACHABLE_DATABASE))
    try:
        with pytest.raises((OSError, SQLAlchemyError)):
            await database.ping()
    finally:
        await database.dispose()


async def test_ping_succeeds_on_the_test_database(runtime: Runtime) -> None:
    await runtime.database.ping()


Pinged = tuple[Database, list[int]]


@pytest.fixture
async def pinged(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Pinged]:
    """A PostgreSQL database of one pooled connection, and its connection tests so far."""
    if runtime.database.is_sqlite:
        pytest.skip("a SQLite connection is a file handle: there is nothing to test")
    database = Database(runtime.database.url, pool_size=1)
    dialect = database.engine.sync_engine.dialect
    tested: list[int] = []
    ping = dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        tested.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    yield database, tested
    await database.dispose()


async def backend_of(database: Database) -> int:
    async with database.transaction(Mode.READ) as session:
        return await session.scalar(text("SELECT pg_backend_pid()"))


async def test_a_pooled_connection_back_to_work_at_once_is_not_tested_first(
    pinged: Pinged,
) -> None:
    database, tested = pinged

    first = await backend_of(database)
    again = await backend_of(database)

    assert again == first
    assert tested == []


async def test_a_pooled_connection_idle_past_the_bound_is_tested_first(
    pinged: Pinged, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, tested = pinged
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)

    first = await backend_of(database)
    again = await backend_of(database)

    assert again == first
    assert tested == [1]


async def test_a_pooled_connection_that_died_while_idle_is_replaced_before_it_is_used(
    pinged: Pinged, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, _ = pinged
    monkeypatch.setattr(db, "IDLE_BEFORE_PING_SECONDS", 0.0)
    first = await backend_of(database)
    async with runtime.database.engine.connect() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

    replaced = await backend_of(database)  # no error: the request never sees it

    assert replaced != first


async def test_a_connection_the_server_ended_moments_after_its_use_is_never_an_internal_error(
    pinged: Pinged, runtime: Runtime
) -> None:
    """Replaced at once if the driver has already seen it closed; otherwise its
    first statement is told to retry and the pool starts afresh: which one
    depends on when the server's goodbye arrives, and both are fine."""
    database, tested = pinged
    first = await backend_of(database)
    async with runtime.database.engine.connect() as other:
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

    lost: DBAPIError | None = None
    try:
        await backend_of(database)  # back in the pool too briefly to be tested
    except DBAPIError as error:
        lost = error
    replaced = await backend_of(database)

    assert tested == []
    assert replaced != first
    if lost is not None:
        assert lost.connection_invalidated
        assert isinstance(database_failure(lost), DatabaseUnavailable)
