"""When the database fails rather than the request, and what the client is told.

The database may be down, restarting, locked by another process, or may have
chosen this transaction as a deadlock's victim: no bug of the request, and no
internal error. :func:`database_failure` names it for the client:
``DATABASE_UNAVAILABLE`` or ``DATABASE_BUSY``, both retryable.
"""

from __future__ import annotations

import errno
import socket
import sqlite3

from sqlalchemy import exc as sqlalchemy_errors

from core.errors import RequestError


class RetryLater(RequestError):
    """The database failed, not the request: the same request may succeed if sent
    again in :attr:`retry_after` seconds. Its answer says so twice: ``retryable``
    in the error's ``extensions``, and ``Retry-After`` on the HTTP response
    (``schema.extensions``)."""

    retry_after = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.extensions = {"code": self.code, "retryable": True}


class DatabaseBusy(RetryLater):
    """The database's lock could not be had in time, or it gave up this
    transaction to let a concurrent one through (a deadlock, a serialization
    failure); the request may be retried."""

    code = "DATABASE_BUSY"

    def __init__(self) -> None:
        super().__init__("The bank's database is busy; try again in a moment.")


class DatabaseUnavailable(RetryLater):
    """The database cannot be reached: down, restarting, or the connection to it
    was lost. The pool reconnects by itself once it is back."""

    code = "DATABASE_UNAVAILABLE"
    retry_after = 3

    def __init__(self) -> None:
        super().__init__("The bank's database cannot be reached; try again shortly.")


UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03"})
"""PostgreSQL's admin shutdown, crash shutdown and "cannot connect now" (starting
up or shutting down); every state of class 08, connection exception, too."""
BUSY_STATES = frozenset({"40001", "40P01", "53300", "55P03"})
"""Serialization failure, deadlock, too many connections, lock not available."""
NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EPIPE,
        errno.ETIMEDOUT,
        errno.EHOSTUNREACH,
        errno.EHOSTDOWN,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.EADDRNOTAVAIL,
    }
)
SQLITE_LOCKED = ("database is locked", "database table is locked")
SQLITE_UNREACHABLE = ("unable to open database file",)


def database_failure(error: BaseException) -> RetryLater | None:
    """What the client should be told about ``error`` if it is the database's
    failure rather than a bug: :class:`DatabaseUnavailable` or
    :class:`DatabaseBusy`; ``None`` for anything else.

    It looks through the whole chain (SQLAlchemy's wrapper, the driver's error
    in ``orig``, ``__cause__`` and ``__context__``): asyncpg raises a refused
    connection as a bare ``ConnectionRefusedError``, a connection lost in the
    middle of a statement as SQLAlchemy's ``DBAPIError`` with
    ``connection_invalidated`` set, and PostgreSQL's own refusals with their
    SQLSTATE. An ``OSError`` counts only when it is a network failure (a file
    that cannot be written is not the database being down).
    """
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        cause = pending.pop()
        if id(cause) in seen:
            continue
        seen.add(id(cause))
        verdict = _verdict(cause)
        if verdict is not None:
            return verdict
        pending.extend(
            linked
            for linked in (getattr(cause, "orig", None), cause.__cause__, cause.__context__)
            if isinstance(linked, BaseException)
        )
    return None


def _verdict(error: BaseException) -> RetryLater | None:
    """The verdict on one link of an error's chain, without following it."""
    if isinstance(error, RetryLater):
        return error
    if isinstance(error, sqlalchemy_errors.DBAPIError) and error.connection_invalidated:
        return DatabaseUnavailable()
    if isinstance(error, sqlalchemy_errors.TimeoutError):  # no pooled connection came free
        return DatabaseBusy()
    if isinstance(error, sqlalchemy_errors.PendingRollbackError) and error.code == "8s2b":
        return DatabaseUnavailable()  # the transaction's connection was lost earlier
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str):
        if state.startswith("08") or state in UNAVAILABLE_STATES:
            return DatabaseUnavailable()
        if state in BUSY_STATES:
            return DatabaseBusy()
    if isinstance(error, sqlite3.OperationalError):
        message = str(error)
        if message.startswith(SQLITE_LOCKED):
            return DatabaseBusy()
        if message.startswith(SQLITE_UNREACHABLE):
            return DatabaseUnavailable()
    if isinstance(error, ConnectionError | TimeoutError | socket.gaierror):
        return DatabaseUnavailable()
    if isinstance(error, OSError) and (
        error.errno in NETWORK_ERRNOS
        # asyncio's create_connection, when every address of the host refused
        or (error.errno is None and str(error).startswith("Multiple exceptions: "))
    ):
        return DatabaseUnavailable()
    return None
