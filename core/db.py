"""Engines, sessions and the two kinds of transaction the system runs.

- A **read** transaction serves a query request: every row it reads comes from
  one snapshot (REPEATABLE READ, READ ONLY on PostgreSQL; a deferred
  transaction in WAL mode on SQLite), so a page never shows money in two
  places at once.
- A **write** transaction serves a mutation: READ COMMITTED on PostgreSQL,
  where money code locks the rows it changes (``SELECT ... FOR UPDATE``);
  ``BEGIN IMMEDIATE`` on SQLite, which takes the database's write lock at the
  start instead of failing to upgrade a read lock half-way.

**Hot statements**, the ones every request or money movement runs, are built
once, as module constants taking their values as bind parameters, and written
on the tables (``Model.__table__``) when no ORM object is wanted back.
SQLAlchemy memoises a statement object's cache key, so a constant is looked up
in the compiled cache at once, while a statement built per call is rebuilt and
traversed again for its key. And an ORM-enabled ``INSERT`` or ``UPDATE`` takes
the ORM's bulk path, which synchronises the session's objects: on the
benchmark machine that costs two to three times the statement itself (an
idempotency key's claim, 0.45 ms through the ORM, 0.14 ms on the table).
"""

from __future__ import annotations

import asyncio
import enum
import functools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from core.database_errors import DatabaseBusy
from core.errors import BusinessError
from core.tcp_keepalive import KeptAliveConnection

LOCK_WAIT_MS = 15_000
"""How long a transaction waits for a lock before it gives up with the
retryable ``DATABASE_BUSY``: SQLite's write lock (its busy timeout, and the
turn before it), or a row or table lock on PostgreSQL (``lock_timeout``). A
session left holding a lock (a stuck client, an operator's open transaction)
then costs the requests behind it an answer they can retry, not a connection
each held until the pool runs dry."""
CONNECT_TIMEOUT_SECONDS = 5
"""How long opening a PostgreSQL connection may take: a database that does not
answer fails the request in this time instead of holding it (asyncpg's own
default is a minute)."""
IDLE_BEFORE_PING_SECONDS = 5.0
"""A pooled PostgreSQL connection back in the pool for longer than this is
tested before it is handed out again (:func:`_ping_when_idle`)."""
_RETURNED_AT = "crm_returned_at"
_MODE = "crm_transaction_mode"


class Mode(enum.Enum):
    READ = "read"
    WRITE = "write"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Test a pooled connection before handing it out only if it has been idle
    for :data:`IDLE_BEFORE_PING_SECONDS`, or one the server is known to have
    closed; one found dead is replaced, and the request never sees it.

    SQLAlchemy's ``pool_pre_ping`` tests every checkout, which on asyncpg is
    three round trips (``BEGIN``, an empty statement, ``ROLLBACK``) before
    every request. Under load a connection comes back to work milliseconds
    after it was returned, still known to be alive; the ones an outage or a
    restart can have broken unnoticed are those that sat idle across it. One
    the server ended a moment ago and the driver has not yet seen close fails
    its statement as a lost connection, which invalidates the whole pool (the
    retryable ``DATABASE_UNAVAILABLE``)."""
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "checkin")
    def returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def handed_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if dbapi_connection.driver_connection.is_closed():  # the server said goodbye
            raise DisconnectionError()  # the pool connects anew, and retries
        # A new connection has no return time: it was opened just now.
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at < IDLE_BEFORE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError() from error  # the pool connects anew, and retries
            raise


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={LOCK_WAIT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_MODE)
        # Read transactions refuse writes, as PostgreSQL's READ ONLY ones do.
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if mode is Mode.READ else 'OFF'}")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if mode is Mode.WRITE else "BEGIN")


def _serialized(name: str, *, ends_transaction: bool = False) -> Callable[..., Any]:
    original = getattr(AsyncSession, name)

    @functools.wraps(original)
    async def method(self: SerializedSession, *args: Any, **kwargs: Any) -> Any:
        async with self.lock:
            if not ends_transaction or name == "commit":  # a commit may flush first
                await self._wait_for_write_turn()
            try:
                return await original(self, *args, **kwargs)
            finally:
                if ends_transaction:
                    self._end_write_turn()

    return method


class SerializedSession(AsyncSession):
    """An AsyncSession that may be awaited from several coroutines at once.

    GraphQL resolves sibling fields concurrently, so two DataLoaders of one
    request can reach the database at the same moment. A request keeps one
    connection (one snapshot), so its statements must go one at a time: every
    method that talks to the database takes this session's lock. (``scalars``
    and ``stream_scalars`` go through ``execute`` and ``stream``.)

    On SQLite, a write session also takes its turn at the database's write lock
    in a first-come, first-served queue (``write_turns``) before its transaction
    begins, and gives it up when the transaction ends. SQLite's own wait for a
    busy database is not a queue: under many concurrent writers, an unlucky one
    can wait past any timeout while later ones go first.
    """

    def __init__(self, *args: Any, write_turns: asyncio.Lock | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = asyncio.Lock()
        self._write_turns = write_turns
        self._has_turn = False

    async def _wait_for_write_turn(self) -> None:
        if self._write_turns is None or self._has_turn:
            return
        try:
            async with asyncio.timeout(LOCK_WAIT_MS / 1000):
                await self._write_turns.acquire()
        except TimeoutError:
            raise DatabaseBusy() from None
        self._has_turn = True

    def _end_write_turn(self) -> None:
        if self._has_turn:
            self._has_turn = False
            self._write_turns.release()  # type: ignore[union-attr]


for _name in (
    "execute", "scalar", "get", "get_one", "stream", "refresh", "run_sync", "delete",
    "delete_all", "merge", "merge_all", "flush", "connection",
):  # fmt: skip
    setattr(SerializedSession, _name, _serialized(_name))
for _name in ("commit", "rollback", "close", "reset", "invalidate"):
    setattr(SerializedSession, _name, _serialized(_name, ends_transaction=True))


async def flush_or_refuse(session: AsyncSession, refusal: BusinessError) -> None:
    """Flush, turning a unique-key race with another request into ``refusal``.

    Rules check for duplicates before writing; this catches the one written by a
    concurrent request between the check and the flush.
    """
    try:
        await session.flush()
    except IntegrityError:
        raise refusal from None


INSERTS: dict[str, Callable[..., Any]] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
"""Each database's ``INSERT``, by dialect name: the one that offers
``on_conflict_do_nothing`` / ``on_conflict_do_update`` (an atomic upsert). A hot
upsert is built once from each of them."""


def insert_for(session: AsyncSession, model: Any) -> Any:
    """An ``INSERT`` for ``model`` in the session's dialect (:data:`INSERTS`)."""
    return INSERTS[session.bind.dialect.name](model)


class Database:
    """The engine and the session factory for each transaction mode."""

    def __init__(self, url: URL, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.get_backend_name() == "sqlite"
        self.write_turns = asyncio.Lock() if self.is_sqlite else None
        if self.is_sqlite:
            self.engine = create_async_engine(url, echo=echo)
            _configure_sqlite(self.engine)
            read_options: dict[str, Any] = {_MODE: Mode.READ}
            write_options: dict[str, Any] = {_MODE: Mode.WRITE}
        else:
            # A connection idle in the pool is tested before it is handed out and
            # replaced if the database went away meanwhile (_ping_when_idle); a
            # connection lost in the middle of a statement invalidates the whole
            # pool. Either way the pool recovers by itself once the database is
            # back; one that vanished without a word is noticed by TCP keep-alive
            # (core.tcp_keepalive).
            self.engine = create_async_engine(
                url,
                echo=echo,
                pool_size=pool_size,
                max_overflow=pool_size,
                connect_args={
                    "connection_class": KeptAliveConnection,
                    "timeout": CONNECT_TIMEOUT_SECONDS,
                    "server_settings": {"lock_timeout": str(LOCK_WAIT_MS)},
                },
            )
            _ping_when_idle(self.engine)
            read_options = {
                _MODE: Mode.READ,
                "isolation_level": "REPEATABLE READ",
                "postgresql_readonly": True,
            }
            write_options = {
                _MODE: Mode.WRITE,
                "isolation_level": "READ COMMITTED",
                "postgresql_readonly": False,
            }
        self._engines = {
            Mode.READ: self.engine.execution_options(**read_options),
            Mode.WRITE: self.engine.execution_options(**write_options),
        }

    def session(self, mode: Mode) -> AsyncSession:
        """A new session whose transactions run in ``mode``; the caller closes it."""
        return SerializedSession(
            self._engines[mode],
            expire_on_commit=False,
            autoflush=True,
            write_turns=self.write_turns if mode is Mode.WRITE else None,
        )

    @asynccontextmanager
    async def transaction(self, mode: Mode = Mode.WRITE) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed if the block ends normally, rolled
        back if it raises. (A read transaction has nothing to commit; ending it so
        keeps the rows it loaded usable after the block.)"""
        async with self.session(mode) as session:
            try:
                yield session
            except BaseException:
                await session.rollback()
                raise
            await session.commit()

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        await self.engine.dispose()
