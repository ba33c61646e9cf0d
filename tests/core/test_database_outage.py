"""When the database fails, not the request, the client is told so: a stable,
retryable code (``DATABASE_UNAVAILABLE`` or ``DATABASE_BUSY``), ``Retry-After``,
never an internal error, a trace or SQL; no request waits on a database that
does not answer; ``/readyz`` says so within its bound; the pool recovers by
itself once the database is back."""

from __future__ import annotations

import asyncio
import errno
import sqlite3
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, PendingRollbackError
from sqlalchemy.exc import TimeoutError as PoolTimeout

import schema.extensions
from core import db
from core.app import Readiness, create_app
from core.columns import utcnow
from core.database_errors import DatabaseBusy, DatabaseUnavailable, database_failure
from core.db import Database, Mode
from core.runtime import Runtime
from plugins.security.tokens import issue_token
from tests.conftest import PASSWORD, GraphQLClient
from tests.core.conftest import UNREACHABLE_DATABASE, RuntimeFactory, http_client
from tests.plugins.customer.conftest import Bank, bank, password_hash  # noqa: F401  (fixtures)

LOGIN = (
    "mutation($u: String!, $p: String!) {"
    " login(input: {username: $u, password: $p}) { token errors { code } } }"
)
UNAVAILABLE = {"code": "DATABASE_UNAVAILABLE", "retryable": True}
BUSY = {"code": "DATABASE_BUSY", "retryable": True}
LEAKS = ("Traceback", "sqlalchemy", "asyncpg", "sqlite3", "SELECT", "127.0.0.1", "Errno")


def assert_clean(text_: str) -> None:
    for leak in LEAKS:
        assert leak not in text_, f"{leak!r} in {text_}"


def wrapped(driver_error: Exception, *, invalidated: bool = False) -> DBAPIError:
    """``driver_error`` as SQLAlchemy raises it from a statement."""
    error = OperationalError("SELECT 1", {}, driver_error, connection_invalidated=invalidated)
    error.__cause__ = driver_error
    return error


# ------------------------------------------------------------ the classification


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed ('127.0.0.1', 5432)"),
        ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
        TimeoutError(),  # asyncpg's connect timeout
        OSError("Multiple exceptions: [Errno 111] Connect call failed, [Errno 99] ..."),
        OSError(errno.EHOSTUNREACH, "No route to host"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
        asyncpg.exceptions.ConnectionFailureError("connection failure"),
        wrapped(asyncpg.exceptions.AdminShutdownError("terminating connection")),
        wrapped(RuntimeError("connection is closed"), invalidated=True),
        wrapped(sqlite3.OperationalError("unable to open database file")),
        PendingRollbackError("Can't reconnect until invalid transaction", code="8s2b"),
    ],
    ids=repr,
)
def test_a_database_that_cannot_be_reached_is_unavailable(error: Exception) -> None:
    assert isinstance(database_failure(error), DatabaseUnavailable)


@pytest.mark.parametrize(
    "error",
    [
        wrapped(sqlite3.OperationalError("database is locked")),
        asyncpg.exceptions.DeadlockDetectedError("deadlock detected"),
        asyncpg.exceptions.SerializationError("could not serialize access"),
        wrapped(asyncpg.exceptions.DeadlockDetectedError("deadlock detected")),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        PoolTimeout("QueuePool limit of size 10 overflow 10 reached"),
        DatabaseBusy(),
    ],
    ids=repr,
)
def test_a_database_that_gives_way_to_others_is_busy(error: Exception) -> None:
    assert isinstance(database_failure(error), DatabaseBusy)


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug"),
        ValueError("a bug"),
        FileNotFoundError(errno.ENOENT, "No such file or directory"),
        OSError(errno.ENOSPC, "No space left on device"),
        IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
        wrapped(sqlite3.OperationalError("no such table: finance_account")),
        asyncpg.exceptions.UndefinedTableError('relation "x" does not exist'),
        PendingRollbackError("This Session's transaction has been rolled back", code="7s2a"),
    ],
    ids=repr,
)
def test_a_bug_is_not_the_database_failing(error: Exception) -> None:
    assert database_failure(error) is None


def test_the_cause_is_found_however_deep_it_lies() -> None:
    lost = ConnectionResetError(errno.ECONNRESET, "reset")
    while_loading = RuntimeError("while loading the accounts")
    while_loading.__cause__ = lost
    outer = RuntimeError("while answering")
    outer.__context__ = while_loading

    assert isinstance(database_failure(outer), DatabaseUnavailable)


def test_both_retryable_errors_say_so_and_name_no_internals() -> None:
    assert DatabaseUnavailable().extensions == UNAVAILABLE
    assert DatabaseBusy().extensions == BUSY
    assert "database cannot be reached" in DatabaseUnavailable().message
    assert "try again" in DatabaseUnavailable().message


# ------------------------------------------------------------ a real engine


async def test_an_unreachable_database_is_unavailable_at_once() -> None:
    database = Database(make_url(UNREACHABLE_DATABASE))
    started = time.perf_counter()
    try:
        with pytest.raises(ConnectionRefusedError) as failed:
            async with database.transaction(Mode.READ) as session:
                await session.execute(select(1))
    finally:
        await database.dispose()

    assert isinstance(database_failure(failed.value), DatabaseUnavailable)
    assert time.perf_counter() - started < 2


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """The port of a server that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()


async def test_a_database_that_does_not_answer_fails_within_the_connect_timeout(
    silent_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "CONNECT_TIMEOUT_SECONDS", 0.5)
    database = Database(make_url(f"postgresql+asyncpg://postgres@127.0.0.1:{silent_server}/x"))
    started = time.perf_counter()
    try:
        with pytest.raises(TimeoutError) as failed:
            await database.ping()
    finally:
        await database.dispose()

    assert isinstance(database_failure(failed.value), DatabaseUnavailable)
    assert time.perf_counter() - started < 3


async def test_a_connection_lost_mid_transaction_is_unavailable_and_the_pool_recovers(
    runtime: Runtime,
) -> None:
    if runtime.database.is_sqlite:
        pytest.skip("a SQLite connection is a file handle: nothing can cut it")

    async def read_while_the_connection_is_cut() -> None:
        async with runtime.database.transaction(Mode.READ) as session:
            backend = await session.scalar(text("SELECT pg_backend_pid()"))
            async with runtime.database.engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            await session.execute(select(1))

    with pytest.raises(DBAPIError) as lost:
        await read_while_the_connection_is_cut()

    assert isinstance(database_failure(lost.value), DatabaseUnavailable)
    async with runtime.database.transaction(Mode.READ) as session:  # no help needed
        assert await session.scalar(select(1)) == 1


async def test_a_sqlite_database_locked_by_another_process_is_busy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE account (balance INTEGER)")
    setup.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO account VALUES (1)")  # holds the lock until it ends
    monkeypatch.setattr(db, "LOCK_WAIT_MS", 200)
    database = Database(make_url(f"sqlite+aiosqlite:///{path}"))
    try:
        with pytest.raises(OperationalError) as locked:
            async with database.transaction(Mode.READ) as session:
                await session.execute(text("SELECT count(*) FROM account"))
        holder.execute("COMMIT")
        holder.close()
        async with database.transaction(Mode.READ) as session:
            assert await session.scalar(text("SELECT count(*) FROM account")) == 1
    finally:
        await database.dispose()

    assert isinstance(database_failure(locked.value), DatabaseBusy)


# ------------------------------------------------------------ what the client sees


async def test_a_mutation_while_the_database_is_down_is_told_to_retry(
    make_runtime: RuntimeFactory,
) -> None:
    app = create_app(make_runtime(database_url=UNREACHABLE_DATABASE))

    async with http_client(app) as http:
        response = await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"u": "admin", "p": PASSWORD}}
        )

    assert_clean(response.text)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(DatabaseUnavailable.retry_after)
    [error] = response.json()["errors"]
    assert error["extensions"] == UNAVAILABLE
    assert error["path"] == ["login"]


async def test_signing_in_while_the_database_is_down_is_told_to_retry(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = make_runtime(database_url=UNREACHABLE_DATABASE)
    now = utcnow()
    token = issue_token(runtime.settings.signing_key, 1, "s1", now, now + timedelta(hours=1))

    async with http_client(create_app(runtime)) as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ me { id } }"},
            headers={"Authorization": f"Bearer {token}"},
        )

    assert_clean(response.text)
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    assert response.json()["errors"][0]["extensions"] == UNAVAILABLE


async def test_a_locked_database_in_a_resolver_is_busy_not_an_internal_error(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def locked(*_: Any, **__: Any) -> None:
        raise wrapped(sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr("plugins.security.sign_in.sign_in", locked)

    async with http_client(create_app(make_runtime())) as http:
        response = await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"u": "admin", "p": PASSWORD}}
        )

    assert_clean(response.text)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(DatabaseBusy.retry_after)
    assert response.json()["errors"][0]["extensions"] == BUSY


@pytest.mark.parametrize(
    "failure",
    [DatabaseBusy(), wrapped(sqlite3.OperationalError("database is locked"))],
    ids=["queue timed out", "driver locked"],
)
async def test_a_mutation_the_database_failed_does_not_wait_for_it_again_to_audit_it(
    make_runtime: RuntimeFactory, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    """On SQLite, recording the failure would queue for the write lock that just
    timed out: another 15 s before the client hears anything."""
    audited: list[Any] = []

    async def locked(*_: Any, **__: Any) -> None:
        raise failure

    async def record(*arguments: Any) -> None:
        audited.append(arguments)

    monkeypatch.setattr("plugins.security.sign_in.sign_in", locked)
    monkeypatch.setattr("core.graphql.record", record)

    async with http_client(create_app(make_runtime())) as http:
        response = await http.post(
            "/graphql", json={"query": LOGIN, "variables": {"u": "admin", "p": PASSWORD}}
        )

    assert response.json()["errors"][0]["extensions"] == BUSY
    assert audited == []


@pytest.mark.parametrize(
    ("failure", "traced"),
    [
        (wrapped(ConnectionResetError(errno.ECONNRESET, "reset"), invalidated=True), False),
        (RuntimeError("a bug"), True),
    ],
    ids=["connection gone", "bug"],
)
async def test_a_session_whose_connection_went_with_the_database_closes_without_a_trace(
    make_runtime: RuntimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
    traced: bool,
) -> None:
    """An outage cuts every pooled connection: one trace per request closing its
    session would bury the one line that says the database is away."""

    async def close(*_: Any) -> None:
        raise failure

    monkeypatch.setattr(db.SerializedSession, "close", close)

    async with http_client(create_app(make_runtime())) as http:
        response = await http.post("/graphql", json={"query": "{ businessDate }"})

    assert response.status_code == 200
    closing = [r for r in caplog.records if "closing the request's database session" in r.message]
    assert [record.exc_info is not None for record in closing] == [traced]


@pytest.fixture
async def manager(bank: Bank) -> GraphQLClient:  # noqa: F811  (the fixture imported above)
    """A branch manager, signed in, whose branch has a customer with a phone number."""
    await bank.register()
    return await bank.sign_in("bj.manager")


async def test_a_personal_data_read_that_cannot_be_recorded_is_withheld_and_told_to_retry(
    manager: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def database_gone(*_: Any) -> None:
        raise ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")

    monkeypatch.setattr(schema.extensions, "record_personal_data_read", database_gone)
    response = await manager.post("{ customers(first: 5) { edges { node { phone } } } }")

    assert_clean(response.text)
    assert response.status_code == 503
    body = response.json()
    assert body["data"] is None  # the phone numbers whose reading is not on record
    assert body["errors"][0]["extensions"] == UNAVAILABLE


async def test_a_personal_data_read_whose_record_fails_on_a_bug_is_masked(
    manager: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any) -> None:
        raise RuntimeError("SELECT secret FROM audit_head")

    monkeypatch.setattr(schema.extensions, "record_personal_data_read", broken)
    response = await manager.post("{ customers(first: 5) { edges { node { phone } } } }")

    assert_clean(response.text)
    assert "secret" not in response.text
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}


# ------------------------------------------------------------ /readyz


async def test_readyz_answers_503_at_once_when_the_database_cannot_be_reached(
    make_runtime: RuntimeFactory,
) -> None:
    app = create_app(make_runtime(database_url=UNREACHABLE_DATABASE))
    started = time.perf_counter()

    async with http_client(app) as http:
        response = await http.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database"}
    assert time.perf_counter() - started < 2


async def test_readyz_answers_503_in_its_bound_when_the_database_does_not_answer(
    make_runtime: RuntimeFactory,
) -> None:
    runtime = make_runtime()
    released = asyncio.Event()
    checks = 0

    async def hanging_ping() -> None:
        nonlocal checks
        checks += 1
        await released.wait()

    runtime.database.ping = hanging_ping  # type: ignore[method-assign]
    readiness = Readiness(runtime, timeout=0.2)
    started = time.perf_counter()

    first = await readiness.probe(None)  # type: ignore[arg-type]
    second = await readiness.probe(None)  # type: ignore[arg-type]

    assert (first.status_code, second.status_code) == (503, 503)
    assert time.perf_counter() - started < 1
    assert checks == 1  # the second probe waited on the check still running
    released.set()
    assert (await readiness.probe(None)).status_code == 200  # type: ignore[arg-type]
