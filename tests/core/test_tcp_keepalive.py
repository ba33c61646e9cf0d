"""TCP keep-alive on the connections to PostgreSQL (``core.tcp_keepalive``): a
server that vanished without a word is noticed in seconds, not hours."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.runtime import Runtime
from core.tcp_keepalive import (
    IDLE_SECONDS,
    INTERVAL_SECONDS,
    PROBES,
    UNACKNOWLEDGED_MS,
    keep_alive,
)

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="Linux's TCP options")


@pytest.fixture
def connected() -> Iterator[socket.socket]:
    """A TCP connection on 127.0.0.1: its client end."""
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.create_connection(server.getsockname()) as client,
    ):
        accepted, _ = server.accept()
        with accepted:
            yield client


def option(sock: socket.socket, level: int, name: int) -> int:
    return sock.getsockopt(level, name)


@linux_only
def test_a_tcp_socket_is_probed_when_idle_and_closed_when_unanswered(
    connected: socket.socket,
) -> None:
    assert option(connected, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0

    keep_alive(connected)

    assert option(connected, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    assert option(connected, socket.IPPROTO_TCP, socket.TCP_KEEPIDLE) == IDLE_SECONDS
    assert option(connected, socket.IPPROTO_TCP, socket.TCP_KEEPINTVL) == INTERVAL_SECONDS
    assert option(connected, socket.IPPROTO_TCP, socket.TCP_KEEPCNT) == PROBES
    assert option(connected, socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == UNACKNOWLEDGED_MS


def test_a_unix_socket_has_no_tcp_to_keep_alive() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        keep_alive(left)  # no TCP option to set, and no error for trying

        assert option(left, socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 0


def keepalive_timer_seconds(local_port: int) -> float | None:
    """Seconds left on the keep-alive timer of this machine's TCP connection from
    ``local_port``, as the kernel reports it (``/proc/net/tcp``); ``None`` if the
    connection has no keep-alive timer running."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == local_port:
                timer, when = fields[5].split(":")
                keepalive = timer == "02"
                return int(when, 16) / os.sysconf("SC_CLK_TCK") if keepalive else None
    raise AssertionError(f"no TCP connection from port {local_port}")


@linux_only
async def test_every_pooled_postgresql_connection_is_kept_alive(runtime: Runtime) -> None:
    if runtime.database.is_sqlite:
        pytest.skip("SQLite is a file, not a connection")

    async with runtime.database.engine.connect() as connection:
        port = await connection.scalar(text("SELECT inet_client_port()"))

        seconds = keepalive_timer_seconds(port)
        assert seconds is not None, "the kernel runs no keep-alive timer on the connection"
        assert 0 < seconds <= IDLE_SECONDS
