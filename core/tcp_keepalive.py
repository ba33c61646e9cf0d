"""TCP keep-alive on every connection to PostgreSQL, so that a vanished server
is noticed within a minute instead of a quarter of an hour.

A PostgreSQL that goes away without resetting its connections (its host lost
power, a firewall dropped idle connections without a word, a failover moved
its address) leaves them half-open: nothing arrives and nothing says so. By
Linux's defaults a statement sent on such a connection is resent for about
fifteen minutes (``tcp_retries2``) and an idle one is first probed after two
hours, and meanwhile a request waits on it and holds a pooled connection.

libpq offers ``keepalives_idle``, ``keepalives_interval``,
``keepalives_count`` and ``tcp_user_timeout`` for this; asyncpg has no such
options, so the pool's connections are made by :class:`KeptAliveConnection`,
which sets the same socket options. With them an idle connection is probed
after :data:`IDLE_SECONDS`, and one whose data or probes stay unacknowledged
for :data:`UNACKNOWLEDGED_MS` is closed by the kernel: the statement on it
fails as a lost connection (the retryable ``DATABASE_UNAVAILABLE``), the pool
is invalidated, and a pooled connection found dead is replaced at checkout. A
live server acknowledges the probes of a long statement (an end-of-day close),
which is therefore not cut short.
"""

from __future__ import annotations

import socket
from typing import Any

import asyncpg

IDLE_SECONDS = 30
"""An idle connection is probed after this long without traffic."""
INTERVAL_SECONDS = 10
"""Then probed again this often."""
PROBES = 3
"""Unanswered probes after which the connection is dead (where the platform
has no :data:`UNACKNOWLEDGED_MS`)."""
UNACKNOWLEDGED_MS = 30_000
"""Data or probes unacknowledged this long close the connection (Linux's
``TCP_USER_TIMEOUT``; it takes precedence over :data:`PROBES`)."""

_OPTIONS = (
    ("TCP_KEEPIDLE", IDLE_SECONDS),
    ("TCP_KEEPINTVL", INTERVAL_SECONDS),
    ("TCP_KEEPCNT", PROBES),
    ("TCP_USER_TIMEOUT", UNACKNOWLEDGED_MS),
)


def keep_alive(sock: socket.socket) -> None:
    """Turn keep-alive on for a TCP socket, with the bounds above wherever the
    platform has the option; a Unix-domain socket has no TCP to keep alive."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    for name, value in _OPTIONS:
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)


class KeptAliveConnection(asyncpg.Connection):  # type: ignore[misc]
    """An asyncpg connection whose socket is kept alive (asyncpg's documented
    ``connection_class`` hook; the socket is the transport's)."""

    def __init__(self, protocol: Any, transport: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(protocol, transport, *args, **kwargs)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            keep_alive(sock)
